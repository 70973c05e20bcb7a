package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

// PrometheusOptions are the flags shared by run and explain.
type PrometheusOptions struct {
	promclient.Config
}

// AddFlags registers the --prometheus-* flags.
func (o *PrometheusOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.URL, "prometheus-url", o.URL, "Prometheus base URL (https://...)")
	fs.StringVar(&o.CAFile, "prometheus-ca-file", o.CAFile, "PEM CA bundle trusted for the Prometheus server certificate")
	fs.StringVar(&o.CertFile, "prometheus-cert-file", o.CertFile, "PEM client certificate for mutual TLS")
	fs.StringVar(&o.KeyFile, "prometheus-key-file", o.KeyFile, "PEM client key for mutual TLS")
	fs.StringVar(&o.TokenFile, "prometheus-token-file", o.TokenFile, "file holding a bearer token; re-read when it changes")
	fs.StringVar(&o.Token, "prometheus-token", o.Token, "bearer token value (prefer --prometheus-token-file)")
	fs.StringVar(&o.ServerName, "prometheus-server-name", o.ServerName, "name to verify the server certificate against")
	fs.BoolVar(&o.InsecureSkipVerify, "prometheus-insecure-skip-verify", o.InsecureSkipVerify, "do not verify the Prometheus certificate (testing only)")
	fs.BoolVar(&o.AllowHTTP, "prometheus-allow-http", o.AllowHTTP, "allow a plain http:// Prometheus URL")
	fs.DurationVar(&o.Timeout, "prometheus-timeout", promclient.DefaultTimeout, "timeout of one PromQL query")
}

// RunOptions are the flags of `saturn-controller run`.
type RunOptions struct {
	Prometheus PrometheusOptions

	Kubeconfig string
	Interval   time.Duration
	// StuckAfter: a not-ready pod of a target is stuck after this long (--stuck-after).
	StuckAfter         time.Duration
	Actuation          string
	WatchNamespace     string
	ConfigNamespace    string
	ScaleToZero        bool
	MetricsBindAddress string
	// MetricsSecure serves /metrics over HTTPS to clients whose bearer token the API server
	// authenticates (TokenReview) and authorizes for GET /metrics (SubjectAccessReview).
	MetricsSecure bool
	// MetricsCertDir holds tls.crt and tls.key for the secure /metrics; empty: self-signed.
	MetricsCertDir          string
	HealthProbeBindAddress  string
	LeaderElect             bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	MetricsAPI              bool
	MetricsAPIPort          int
	MetricsAPICertDir       string
	MetricsAPICertFile      string
	MetricsAPIKeyFile       string
	// ControllerInstance: reconcile only the VariantAutoscalings labeled
	// wva.llmd.ai/controller-instance with it, and label every output series with it
	// (--controller-instance, default $CONTROLLER_INSTANCE as in WVA).
	ControllerInstance string
	// SaturationConfigMapName (--saturation-config-map-name, default
	// $SATURATION_CONFIG_MAP_NAME as in WVA, else wva-saturation-scaling-config).
	SaturationConfigMapName string
	Verbosity               int
}

// NewRunOptions returns the defaults.
func NewRunOptions() *RunOptions {
	o := &RunOptions{
		Interval:                reconciler.DefaultInterval,
		StuckAfter:              reconciler.DefaultStuckAfter,
		Actuation:               string(actuation.ModeMetrics),
		ConfigNamespace:         "saturn-system",
		MetricsBindAddress:      ":8080",
		HealthProbeBindAddress:  ":8081",
		LeaderElectionID:        "saturn-controller.llmd.ai",
		MetricsAPIPort:          6443,
		MetricsAPICertDir:       "/tmp/saturn-metrics-api",
		ControllerInstance:      os.Getenv(ControllerInstanceEnv),
		SaturationConfigMapName: config.SaturationConfigMapName,
	}
	if name := os.Getenv(SaturationConfigMapNameEnv); name != "" {
		o.SaturationConfigMapName = name
	}
	// WVA's global scale-to-zero switch: "true", any case (the ConfigMap's entries win).
	o.ScaleToZero = strings.EqualFold(strings.TrimSpace(os.Getenv(ScaleToZeroEnv)), "true")
	return o
}

// ScaleToZeroEnv is WVA's environment variable switching scale to zero on by default.
const ScaleToZeroEnv = "WVA_SCALE_TO_ZERO"

// SaturationConfigMapNameEnv is WVA's environment variable naming the saturation ConfigMap.
const SaturationConfigMapNameEnv = "SATURATION_CONFIG_MAP_NAME"

// ControllerInstanceEnv is WVA's environment variable naming the controller instance.
const ControllerInstanceEnv = "CONTROLLER_INSTANCE"

// AddFlags registers the run flags.
func (o *RunOptions) AddFlags(fs *pflag.FlagSet) {
	o.Prometheus.AddFlags(fs)
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig file (default: $KUBECONFIG or in-cluster)")
	fs.DurationVar(&o.Interval, "interval", o.Interval, "period of the decision cycle")
	fs.DurationVar(&o.StuckAfter, "stuck-after", o.StuckAfter, "a target's pod not ready for this long (or unable to start: crash loop, image pull errors) is stuck, not counted as starting supply")
	fs.StringVar(&o.Actuation, "actuation", o.Actuation, "how decisions are applied: metrics (gauges for HPA/KEDA) or direct (patch the scale subresource)")
	fs.StringVar(&o.WatchNamespace, "watch-namespace", o.WatchNamespace, "watch VariantAutoscalings in this namespace only (default: all)")
	fs.StringVar(&o.ConfigNamespace, "config-namespace", o.ConfigNamespace, "namespace of the wva-saturation-scaling-config and wva-model-scale-to-zero-config ConfigMaps")
	fs.BoolVar(&o.ScaleToZero, "scale-to-zero", o.ScaleToZero, "allow scale to zero by default (default $WVA_SCALE_TO_ZERO == \"true\", as in WVA; per-model settings in wva-model-scale-to-zero-config win)")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, "address of the /metrics endpoint (0 disables it)")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", o.MetricsSecure, "serve /metrics over HTTPS, only to clients whose bearer token the API server authenticates and authorizes for GET /metrics (as WVA's --metrics-secure; needs RBAC to create tokenreviews and subjectaccessreviews)")
	fs.StringVar(&o.MetricsCertDir, "metrics-cert-dir", o.MetricsCertDir, "directory with tls.crt and tls.key for the secure /metrics (default: a self-signed certificate)")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress, "address of /healthz and /readyz (0 disables them)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "elect a leader so only one replica decides")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "name of the leader election Lease")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace, "namespace of the leader election Lease (default: in-cluster namespace)")
	fs.BoolVar(&o.MetricsAPI, "metrics-api", o.MetricsAPI, "serve wva_desired_replicas as an external metrics API (external.metrics.k8s.io)")
	fs.IntVar(&o.MetricsAPIPort, "metrics-api-port", o.MetricsAPIPort, "HTTPS port of the external metrics API")
	fs.StringVar(&o.MetricsAPICertDir, "metrics-api-cert-dir", o.MetricsAPICertDir, "directory for the external metrics API's self-signed serving certificate")
	fs.StringVar(&o.MetricsAPICertFile, "metrics-api-cert-file", o.MetricsAPICertFile, "serving certificate of the external metrics API (default: self-signed in --metrics-api-cert-dir)")
	fs.StringVar(&o.MetricsAPIKeyFile, "metrics-api-key-file", o.MetricsAPIKeyFile, "serving key of the external metrics API")
	fs.StringVar(&o.SaturationConfigMapName, "saturation-config-map-name", o.SaturationConfigMapName, "name of the saturation ConfigMap, in --config-namespace and in the VariantAutoscalings' namespaces (default $SATURATION_CONFIG_MAP_NAME, as in WVA, else wva-saturation-scaling-config)")
	fs.StringVar(&o.ControllerInstance, "controller-instance", o.ControllerInstance, "reconcile only the VariantAutoscalings labeled wva.llmd.ai/controller-instance=<this>, and label the wva_* series and external metrics controller_instance=<this> (default $CONTROLLER_INSTANCE; empty: every VariantAutoscaling)")
	fs.IntVar(&o.Verbosity, "v", o.Verbosity, "log verbosity (0 info, 1 debug, ...)")
}

// Validate checks the flags; errors name the flag.
func (o *RunOptions) Validate() error {
	var errs []error
	if err := o.Prometheus.Validate(); err != nil {
		errs = append(errs, err)
	}
	if o.Interval < time.Second {
		errs = append(errs, fmt.Errorf("--interval %s: want at least 1s", o.Interval))
	}
	if o.StuckAfter < time.Minute {
		errs = append(errs, fmt.Errorf("--stuck-after %s: want at least 1m (longer than the model's start-up)", o.StuckAfter))
	}
	if _, err := actuation.ParseMode(o.Actuation); err != nil {
		errs = append(errs, err)
	}
	if o.MetricsAPI && (o.MetricsAPIPort <= 0 || o.MetricsAPIPort > 65535) {
		errs = append(errs, fmt.Errorf("--metrics-api-port %d: want 1..65535", o.MetricsAPIPort))
	}
	if (o.MetricsAPICertFile == "") != (o.MetricsAPIKeyFile == "") {
		errs = append(errs, errors.New("--metrics-api-cert-file and --metrics-api-key-file must be given together"))
	}
	if o.MetricsCertDir != "" {
		if !o.MetricsSecure {
			errs = append(errs, fmt.Errorf("--metrics-cert-dir %q: only used with --metrics-secure", o.MetricsCertDir))
		}
		for _, f := range []string{"tls.crt", "tls.key"} {
			if _, err := os.Stat(filepath.Join(o.MetricsCertDir, f)); err != nil {
				errs = append(errs, fmt.Errorf("--metrics-cert-dir %q: want %s in it: %w", o.MetricsCertDir, f, err))
			}
		}
	}
	if o.ConfigNamespace == "" {
		errs = append(errs, errors.New("--config-namespace must not be empty"))
	}
	if o.Verbosity < 0 {
		errs = append(errs, fmt.Errorf("--v %d: want 0 or more", o.Verbosity))
	}
	if msgs := validation.IsDNS1123Subdomain(o.SaturationConfigMapName); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--saturation-config-map-name %q (or $%s): it is a ConfigMap name: %s", o.SaturationConfigMapName, SaturationConfigMapNameEnv, strings.Join(msgs, "; ")))
	}
	if msgs := validation.IsValidLabelValue(o.ControllerInstance); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--controller-instance %q (or $%s): it is a label value: %s", o.ControllerInstance, ControllerInstanceEnv, strings.Join(msgs, "; ")))
	}
	return errors.Join(errs...)
}
