// Package router is saturn's in-cluster stand-in for llm-d's inference gateway
// and endpoint picker (`saturn router`): an OpenAI-compatible reverse proxy in
// front of a model's vLLM (or saturn-sim) pods. It discovers the ready pods
// from a Service's EndpointSlices, places each request with the policy the
// twin uses (harness/route: round-robin, least-queue, or the endpoint
// picker's weighted queue/KV-cache/prefix scorers fed by scraping each pod's
// /metrics), and holds requests in a flow-control queue while no pod is
// ready, exporting its size as llm_d_epp_flow_control_queue_size: the signal
// the controller scales a model up from zero replicas on. Like the endpoint
// picker it counts the requests it receives per served model,
// inference_objective_request_total{model_name,target_model_name}: the arrival
// rate as a gateway sees it (the twin exports the same counter).
//
// It must not change what passes through it: bodies and streams are relayed
// as the pod sends them. It buffers a request body (bounded) only so that a
// request whose pod refused the connection can go to another pod.
package router
