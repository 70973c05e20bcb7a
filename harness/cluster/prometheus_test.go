package cluster

import (
	"log/slog"
	"testing"
	"time"

	promconfig "github.com/prometheus/prometheus/config"
	_ "github.com/prometheus/prometheus/discovery/kubernetes" // registers kubernetes_sd_configs
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestScrapeConfigLoadsInPrometheus(t *testing.T) {
	o := DefaultPrometheusOptions()
	o.TargetNamespaces = []string{"llm-d", "e2e"}
	cfg, err := promconfig.Load(o.ScrapeConfig(), slog.New(slog.DiscardHandler))
	require.NoError(t, err, o.ScrapeConfig())
	require.Len(t, cfg.ScrapeConfigs, 1)
	assert.Equal(t, 5*time.Second, time.Duration(cfg.GlobalConfig.ScrapeInterval))
}

// TestRelabelingKeepsSimulatorPodsAndLabelsThem runs the relabel rules Prometheus would
// apply to discovered pod targets.
func TestRelabelingKeepsSimulatorPodsAndLabelsThem(t *testing.T) {
	cfg, err := promconfig.Load(DefaultPrometheusOptions().ScrapeConfig(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	rules := cfg.ScrapeConfigs[0].RelabelConfigs
	tests := []struct {
		name    string
		target  map[string]string
		keep    bool
		address string
		pod     string
	}{
		{"annotated pod with port annotation", map[string]string{
			"__address__": "10.244.0.7:8000", "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
			"__meta_kubernetes_pod_annotation_prometheus_io_port": "9000", "__meta_kubernetes_namespace": "llm-d",
			"__meta_kubernetes_pod_name": "sim-h100-abc-xyz", "__meta_kubernetes_pod_phase": "Running",
		}, true, "10.244.0.7:9000", "sim-h100-abc-xyz"},
		{"labelled simulator pod", map[string]string{
			"__address__": "10.244.0.8:8000", "__meta_kubernetes_pod_label_app_kubernetes_io_name": "saturn-sim",
			"__meta_kubernetes_namespace": "e2e", "__meta_kubernetes_pod_name": "sim-1", "__meta_kubernetes_pod_phase": "Running",
		}, true, "10.244.0.8:8000", "sim-1"},
		{"unrelated pod", map[string]string{
			"__address__": "10.244.0.9:53", "__meta_kubernetes_pod_label_app_kubernetes_io_name": "coredns",
			"__meta_kubernetes_namespace": "kube-system", "__meta_kubernetes_pod_name": "coredns-1", "__meta_kubernetes_pod_phase": "Running",
		}, false, "", ""},
		{"pending simulator pod", map[string]string{
			"__address__": "10.244.0.10:8000", "__meta_kubernetes_pod_label_app_kubernetes_io_name": "saturn-sim",
			"__meta_kubernetes_namespace": "e2e", "__meta_kubernetes_pod_name": "sim-2", "__meta_kubernetes_pod_phase": "Pending",
		}, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb := labels.NewBuilder(labels.FromMap(tt.target))
			keep := relabel.ProcessBuilder(lb, rules...)
			out := lb.Labels()
			require.Equal(t, tt.keep, keep)
			if !keep {
				return
			}
			assert.Equal(t, tt.address, out.Get("__address__"))
			assert.Equal(t, tt.pod, out.Get("pod"))
			assert.Equal(t, tt.target["__meta_kubernetes_namespace"], out.Get("namespace"))
		})
	}
}

func TestPrometheusObjectsServeHTTPSOnly(t *testing.T) {
	o := DefaultPrometheusOptions()
	b := &TLSBundle{CACert: []byte("ca"), ServerCert: []byte("crt"), ServerKey: []byte("key")}
	objs := PrometheusObjects(o, b)
	var dep *appsv1.Deployment
	var svc *corev1.Service
	for _, obj := range objs {
		assert.NotEmpty(t, obj.GetObjectKind().GroupVersionKind().Kind, "%T has TypeMeta for apply", obj)
		switch v := obj.(type) {
		case *appsv1.Deployment:
			dep = v
		case *corev1.Service:
			svc = v
		}
	}
	require.NotNil(t, dep)
	require.NotNil(t, svc)
	c := dep.Spec.Template.Spec.Containers[0]
	assert.Contains(t, c.Args, "--web.config.file=/etc/prometheus/config/web-config.yml")
	assert.Equal(t, corev1.URISchemeHTTPS, c.ReadinessProbe.HTTPGet.Scheme)
	assert.True(t, *dep.Spec.Template.Spec.SecurityContext.RunAsNonRoot)
	assert.Equal(t, corev1.ServiceTypeNodePort, svc.Spec.Type)
	assert.Equal(t, int32(30090), svc.Spec.Ports[0].NodePort)
	assert.Contains(t, WebConfig(), "tls_server_config")
	assert.Equal(t, "https://prometheus.monitoring.svc:9090", o.URL())

	b2 := *b
	b2.ServerCert = []byte("rotated")
	dep2 := PrometheusObjects(o, &b2)[6].(*appsv1.Deployment)
	assert.NotEqual(t, dep.Spec.Template.Annotations, dep2.Spec.Template.Annotations, "a new certificate rolls the pod")
}
