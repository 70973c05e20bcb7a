// Package promstore is the twin's Prometheus: an in-memory
// github.com/prometheus/prometheus TSDB head fed by simulated scrapes, and
// the real PromQL engine evaluating the controller's own query strings on
// it. Store implements controller/collector.RangeQuerier, so the controller's
// collector runs unchanged against it.
//
// Samples carry the labels a Kubernetes scrape would give them
// (namespace, pod, job, instance plus the series' own labels such as
// model_name). A Store can be taken down (Prometheus outage fault): queries
// then fail as they would against an unreachable server.
//
// It must not know which metrics exist or what the controller asks: metric
// names come from simulator/vllmmetrics via the twin's scraper, queries from
// controller/collector. It does not run goroutines of its own beyond what
// the TSDB head needs, and never reads the wall clock: sample and query
// times are arguments.
package promstore
