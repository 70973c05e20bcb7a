package router

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/pflag"

	"github.com/saturn-autoscaler/saturn/harness/route"
)

// Options configure a Router and `saturn router`.
type Options struct {
	// Listen is the address serving the proxied API, /metrics and /health.
	Listen string
	// Service names the Service whose ready endpoints get the requests, in
	// Namespace (default: the pod's own namespace).
	Service, Namespace string
	// PortName selects the endpoint port when a Service has several.
	PortName string
	// Endpoints is a static list of host:port used instead of Service discovery.
	Endpoints []string
	// Kubeconfig is used outside a cluster (empty: in-cluster config).
	Kubeconfig string
	// Models are the model names served behind the router; the first one is
	// used for requests that name none, other names are refused with 404.
	Models []string
	// Policy and its weights place requests (harness/route).
	Policy                                   string
	QueueWeight, KVCacheWeight, PrefixWeight float64
	// RefreshInterval is how often each pod's /metrics is read for the scorers.
	RefreshInterval time.Duration
	// QueueTimeout bounds how long a request waits for a ready pod;
	// MaxQueue how many requests may wait at once.
	QueueTimeout time.Duration
	MaxQueue     int
	// MaxRequestBodyBytes bounds a request body.
	MaxRequestBodyBytes int64
}

// DefaultOptions are the flag defaults.
func DefaultOptions() Options {
	w := route.DefaultWeights
	return Options{
		Listen: ":8000", PortName: "http", Policy: route.KVQueueScorer,
		QueueWeight: w.Queue, KVCacheWeight: w.KVCache, PrefixWeight: w.PrefixCache,
		RefreshInterval: 250 * time.Millisecond, QueueTimeout: 5 * time.Minute, MaxQueue: 10000,
		MaxRequestBodyBytes: 8 << 20,
	}
}

// AddFlags registers the options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Listen, "listen", o.Listen, "address serving the OpenAI API, /metrics and /health")
	fs.StringVar(&o.Service, "service", o.Service, "Service whose ready endpoints get the requests (its EndpointSlices are watched)")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "namespace of --service (default: the pod's namespace)")
	fs.StringVar(&o.PortName, "port-name", o.PortName, "endpoint port to use when the Service has several")
	fs.StringSliceVar(&o.Endpoints, "endpoint", o.Endpoints, "static backend host:port instead of --service (repeatable)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig outside a cluster (default: in-cluster config)")
	fs.StringSliceVar(&o.Models, "model", o.Models, "model served behind the router (repeatable; the first is the default)")
	fs.StringVar(&o.Policy, "policy", o.Policy, "placement policy: round-robin, least-queue or kv-queue-scorer")
	fs.Float64Var(&o.QueueWeight, "queue-weight", o.QueueWeight, "kv-queue-scorer: weight of the queue scorer")
	fs.Float64Var(&o.KVCacheWeight, "kv-cache-weight", o.KVCacheWeight, "kv-queue-scorer: weight of the KV-cache scorer")
	fs.Float64Var(&o.PrefixWeight, "prefix-weight", o.PrefixWeight, "kv-queue-scorer: weight of the prefix-cache scorer")
	fs.DurationVar(&o.RefreshInterval, "refresh-interval", o.RefreshInterval, "how often each pod's /metrics is read")
	fs.DurationVar(&o.QueueTimeout, "queue-timeout", o.QueueTimeout, "longest a request waits for a ready pod before 503")
	fs.IntVar(&o.MaxQueue, "max-queue", o.MaxQueue, "most requests waiting for a ready pod at once (more get 429)")
	fs.Int64Var(&o.MaxRequestBodyBytes, "max-request-body-bytes", o.MaxRequestBodyBytes, "largest request body accepted")
}

// Validate checks the options and names the flag at fault.
func (o *Options) Validate() error {
	if (o.Service == "") == (len(o.Endpoints) == 0) {
		return fmt.Errorf("set exactly one of --service (discover pods) and --endpoint (static backends)")
	}
	for _, ep := range o.Endpoints {
		if _, _, err := net.SplitHostPort(ep); err != nil {
			return fmt.Errorf("--endpoint %q: want host:port: %w", ep, err)
		}
	}
	if len(o.Models) == 0 {
		return fmt.Errorf("--model is required: name the model served behind the router")
	}
	for _, m := range o.Models {
		if m == "" {
			return fmt.Errorf("--model: empty model name")
		}
	}
	if _, err := route.NewPicker(o.Policy, o.weights()); err != nil {
		return fmt.Errorf("--policy: %w", err)
	}
	if o.QueueWeight < 0 || o.KVCacheWeight < 0 || o.PrefixWeight < 0 {
		return fmt.Errorf("--queue-weight, --kv-cache-weight and --prefix-weight must not be negative")
	}
	if o.RefreshInterval <= 0 || o.QueueTimeout <= 0 {
		return fmt.Errorf("--refresh-interval and --queue-timeout must be positive")
	}
	if o.MaxQueue <= 0 {
		return fmt.Errorf("--max-queue must be positive, got %d", o.MaxQueue)
	}
	if o.MaxRequestBodyBytes <= 0 {
		return fmt.Errorf("--max-request-body-bytes must be positive, got %d", o.MaxRequestBodyBytes)
	}
	return nil
}

func (o *Options) weights() route.Weights {
	return route.Weights{Queue: o.QueueWeight, KVCache: o.KVCacheWeight, PrefixCache: o.PrefixWeight}
}
