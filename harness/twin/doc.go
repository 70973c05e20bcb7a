// Package twin is saturn's digital twin: it replays a scenario on a virtual
// clock against simulated vLLM replicas (simulator/engine), an embedded
// Prometheus (harness/promstore) scraped at the scenario's interval, the
// controller's own collector, planner and analyzers (the same PromQL strings
// as in a cluster), and an HPA, KEDA or direct actuation model
// (harness/hpa), and returns the run's record (harness/record).
//
// The loop is discrete-event: the next event is the earliest of the next
// arrival, the next engine event of any replica (engines fast-forward
// between events, TokenEvents off) and the next timer (scrapes, controller
// cycles, HPA syncs, replica lifecycle transitions, faults). A router in
// front of the replicas (round-robin, least-queue or an llm-d endpoint-picker
// style KV/queue/prefix scorer) places each request; requests arriving when
// no replica is ready wait in the router's flow-control queue, whose size is
// exported as llm-d's EPP metric so that scale-from-zero works as in a
// cluster. Replicas go pending -> starting -> ready -> draining -> stopped
// with start-up times drawn from the variant's distributions.
//
// Runs are deterministic: the same scenario and seed give a byte-identical
// record. Nothing here reads the wall clock (callers time runs themselves),
// starts goroutines, or iterates a map where order could leak into the
// record.
//
// Floor is a provable lower bound on the GPU-hours and cost of any
// autoscaler on the run: the run's work (every generated request, with every
// prefix hit the traffic allows) at the highest saturated throughput per GPU
// among the variants, or the replica-hours minReplicas force, whichever is
// larger. Work accumulates what it needs as requests are generated.
//
// Plan is the other side of the bracket: a clairvoyant schedule of replicas,
// sized with perfect knowledge of the arrivals and started ahead by the
// start-up time, replayed in the twin as a scripted autoscaler (Script) so
// that its GPU-hours and SLO attainment are measured, not assumed.
package twin
