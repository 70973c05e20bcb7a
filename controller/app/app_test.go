package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

func TestRunOptionsValidate(t *testing.T) {
	certDir := t.TempDir()
	for _, f := range []string{"tls.crt", "tls.key"} {
		require.NoError(t, os.WriteFile(filepath.Join(certDir, f), []byte("x"), 0o600))
	}
	tests := []struct {
		name    string
		mutate  func(*RunOptions)
		wantErr string
	}{
		{"defaults with https", func(*RunOptions) {}, ""},
		{"plain http refused", func(o *RunOptions) { o.Prometheus.URL = "http://prom:9090" }, "--prometheus-allow-http"},
		{"plain http allowed", func(o *RunOptions) { o.Prometheus.URL = "http://prom:9090"; o.Prometheus.AllowHTTP = true }, ""},
		{"no url", func(o *RunOptions) { o.Prometheus.URL = "" }, "--prometheus-url"},
		{"bad actuation", func(o *RunOptions) { o.Actuation = "hpa" }, "--actuation"},
		{"short interval", func(o *RunOptions) { o.Interval = 10 * time.Millisecond }, "--interval"},
		{"bad metrics api port", func(o *RunOptions) { o.MetricsAPI = true; o.MetricsAPIPort = 70000 }, "--metrics-api-port"},
		{"no config namespace", func(o *RunOptions) { o.ConfigNamespace = "" }, "--config-namespace"},
		{"cert without key", func(o *RunOptions) { o.MetricsAPICertFile = "tls.crt" }, "--metrics-api-key-file"},
		{"controller instance", func(o *RunOptions) { o.ControllerInstance = "team-a" }, ""},
		{"controller instance not a label value", func(o *RunOptions) { o.ControllerInstance = "team a/b" }, "--controller-instance"},
		{"secure metrics, self-signed", func(o *RunOptions) { o.MetricsSecure = true }, ""},
		{"metrics cert dir without secure", func(o *RunOptions) { o.MetricsCertDir = certDir }, "--metrics-cert-dir \"" + certDir + "\": only used with --metrics-secure"},
		{"secure metrics from a cert dir", func(o *RunOptions) { o.MetricsSecure, o.MetricsCertDir = true, certDir }, ""},
		{"metrics cert dir without the files", func(o *RunOptions) { o.MetricsSecure, o.MetricsCertDir = true, t.TempDir() }, "want tls.crt in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewRunOptions()
			o.Prometheus.URL = "https://prom:9090"
			tt.mutate(o)
			err := o.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestRunRejectsBadFlagsBeforeTouchingAnything(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--prometheus-url", "http://127.0.0.1:9090"}, "--prometheus-allow-http"},
		{[]string{"run", "--prometheus-url", "https://p", "--actuation", "nope"}, "--actuation"},
		{[]string{"explain", "--prometheus-url", "https://p", "--namespace", "ns"}, "--model"},
		{[]string{"run", "--no-such-flag"}, "unknown flag"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), tt.args, &out, &errOut)
		require.Error(t, err, "%v", tt.args)
		assert.Contains(t, err.Error(), tt.wantErr, "%v", tt.args)
	}
}

func TestHelpListsCommands(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, Run(context.Background(), []string{"--help"}, &out, &out))
	assert.Contains(t, out.String(), "explain")
	assert.Contains(t, out.String(), "run")
	assert.Contains(t, out.String(), "--prometheus-ca-file")
}

func TestSlimPodKeepsWhatReadinessNeeds(t *testing.T) {
	now := metav1.Now()
	in := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "x"}, Annotations: map[string]string{"big": "x"}, DeletionTimestamp: &now},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}, PodIP: "10.0.0.1"},
	}
	out, err := slimPod(in)
	require.NoError(t, err)
	p := out.(*corev1.Pod)
	assert.Equal(t, "p", p.Name)
	assert.Equal(t, in.Labels, p.Labels)
	assert.Equal(t, in.DeletionTimestamp, p.DeletionTimestamp)
	assert.Equal(t, corev1.PodRunning, p.Status.Phase)
	assert.Equal(t, in.Status.Conditions, p.Status.Conditions)
	assert.Empty(t, p.Spec.Containers)
	assert.Empty(t, p.Annotations)
	assert.Empty(t, p.Status.PodIP)

	// What tells a stuck pod from a starting one stays: waiting reasons, running starts.
	started := metav1.NewTime(now.Add(-time.Hour))
	in.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "fetch", Image: "big", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "long text"}}}}
	in.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "vllm", ImageID: "sha", RestartCount: 2, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}}}
	out, err = slimPod(in)
	require.NoError(t, err)
	p = out.(*corev1.Pod)
	require.Len(t, p.Status.InitContainerStatuses, 1)
	assert.Equal(t, "ImagePullBackOff", p.Status.InitContainerStatuses[0].State.Waiting.Reason)
	assert.Empty(t, p.Status.InitContainerStatuses[0].State.Waiting.Message)
	assert.Empty(t, p.Status.InitContainerStatuses[0].Image)
	require.Len(t, p.Status.ContainerStatuses, 1)
	assert.Equal(t, started, p.Status.ContainerStatuses[0].State.Running.StartedAt)
	assert.Equal(t, int32(2), p.Status.ContainerStatuses[0].RestartCount)
	assert.Empty(t, p.Status.ContainerStatuses[0].ImageID)

	// What dates a pod stays: its creation, and with its Ready transition the start-up the
	// reconciler reads from it.
	created := metav1.NewTime(now.Add(-2 * time.Hour))
	in.CreationTimestamp = created
	in.DeletionTimestamp = nil
	in.Status.ContainerStatuses[0].RestartCount = 0
	in.Status.Conditions[0].LastTransitionTime = metav1.NewTime(created.Add(40 * time.Second))
	out, err = slimPod(in)
	require.NoError(t, err)
	p = out.(*corev1.Pod)
	assert.Equal(t, created, p.CreationTimestamp)
	assert.Equal(t, 40*time.Second, reconciler.PodStartup(p))
	assert.Equal(t, reconciler.PodStartup(in), reconciler.PodStartup(p))

	other, err := slimPod("not a pod")
	require.NoError(t, err)
	assert.Equal(t, "not a pod", other)
}

// As WVA, the controller instance comes from $CONTROLLER_INSTANCE unless the flag says
// otherwise; each instance elects its own leader.
func TestControllerInstanceFromTheEnvironment(t *testing.T) {
	t.Setenv(ControllerInstanceEnv, "team-a")
	o := NewRunOptions()
	assert.Equal(t, "team-a", o.ControllerInstance)
	assert.Equal(t, "saturn-controller.llmd.ai-team-a", o.leaderElectionID())
	o.LeaderElectionID = "mine"
	assert.Equal(t, "mine", o.leaderElectionID(), "an explicit id is kept")

	t.Setenv(ControllerInstanceEnv, "")
	o = NewRunOptions()
	assert.Empty(t, o.ControllerInstance)
	assert.Equal(t, "saturn-controller.llmd.ai", o.leaderElectionID())
}

// As WVA, $SATURATION_CONFIG_MAP_NAME names the saturation ConfigMap (WVA's chart names it
// <release>-wva-saturation-scaling-config).
func TestSaturationConfigMapNameFromTheEnvironment(t *testing.T) {
	t.Setenv(SaturationConfigMapNameEnv, "wva-wva-saturation-scaling-config")
	o := NewRunOptions()
	o.Prometheus.URL = "https://prom:9090"
	assert.Equal(t, "wva-wva-saturation-scaling-config", o.SaturationConfigMapName)
	require.NoError(t, o.Validate())
	o.SaturationConfigMapName = "Not_A/Name"
	assert.ErrorContains(t, o.Validate(), "--saturation-config-map-name")

	t.Setenv(SaturationConfigMapNameEnv, "")
	assert.Equal(t, "wva-saturation-scaling-config", NewRunOptions().SaturationConfigMapName)
}

// WVA's WVA_SCALE_TO_ZERO ("true", any case) is the global scale-to-zero default.
func TestScaleToZeroFromTheEnvironment(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "TRUE": true, " True ": true, "false": false, "1": false, "": false} {
		t.Setenv(ScaleToZeroEnv, v)
		assert.Equal(t, want, NewRunOptions().ScaleToZero, "%q", v)
	}
}

// explain finds the ConfigMaps where the chart installed the controller when
// --config-namespace is not given: the one namespace holding the saturation ConfigMap.
func TestFindConfigNamespace(t *testing.T) {
	cm := func(ns, name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	scheme, err := NewScheme()
	require.NoError(t, err)
	// The API server answers fieldSelector=metadata.name; the fake client needs the index.
	byName := func(o client.Object) []string { return []string{o.GetName()} }
	builder := func() *fake.ClientBuilder {
		return fake.NewClientBuilder().WithScheme(scheme).WithIndex(&corev1.ConfigMap{}, "metadata.name", byName)
	}
	one := builder().WithObjects(
		cm("workload-variant-autoscaler-system", config.SaturationConfigMapName), cm("other", "unrelated")).Build()
	assert.Equal(t, "workload-variant-autoscaler-system", findConfigNamespace(context.Background(), one, config.SaturationConfigMapName))
	two := builder().WithObjects(
		cm("a", config.SaturationConfigMapName), cm("b", config.SaturationConfigMapName)).Build()
	assert.Empty(t, findConfigNamespace(context.Background(), two, config.SaturationConfigMapName), "ambiguous: the default applies")
	none := builder().Build()
	assert.Empty(t, findConfigNamespace(context.Background(), none, config.SaturationConfigMapName))
}
