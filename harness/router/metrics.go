package router

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/harness/route"
)

// QueueSizeMetric is llm-d's endpoint-picker flow-control queue gauge; the
// controller's default scale-from-zero query sums it by namespace and
// target_model_name.
const QueueSizeMetric = collector.EPPQueueMetric

type metrics struct {
	arrivals  *prometheus.CounterVec
	queueSize *prometheus.GaugeVec
	queueWait prometheus.Histogram
	requests  *prometheus.CounterVec
	retries   prometheus.Counter
	endpoints prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		arrivals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: route.RequestTotalMetric,
			Help: "Requests received for a served model, counted as they arrive (the llm-d endpoint picker's counter).",
		}, []string{"model_name", "target_model_name"}),
		queueSize: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: QueueSizeMetric,
			Help: "Requests held by the router's flow control while no ready pod can take them.",
		}, []string{"model_name", "target_model_name"}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "saturn_router_queue_wait_seconds",
			Help:    "Time requests that had to wait spent in the flow-control queue.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300},
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saturn_router_requests_total",
			Help: "Requests answered by the router, by model and HTTP status code.",
		}, []string{"model_name", "code"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saturn_router_upstream_retries_total",
			Help: "Requests sent to another pod after one refused or dropped the connection.",
		}),
		endpoints: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "saturn_router_ready_endpoints",
			Help: "Ready pods the router places requests on.",
		}),
	}
	for _, c := range []prometheus.Collector{m.arrivals, m.queueSize, m.queueWait, m.requests, m.retries, m.endpoints} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
