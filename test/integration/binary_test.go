package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
)

// goBuild builds a main package of the module into dir.
func goBuild(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s:\n%s", pkg, b)
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process runs a binary until the test ends (or stop), logging to a file shown on failure.
func process(t *testing.T, name string, args ...string) (stop func()) {
	t.Helper()
	return processEnv(t, nil, name, args...)
}

// processEnv runs a binary with extra environment variables until the test ends, logging
// to a file shown on failure. stop sends it SIGTERM and waits for it to exit (10 s, then
// it is killed); the test's end does the same when stop was not called.
func processEnv(t *testing.T, extra []string, name string, args ...string) (stop func()) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), filepath.Base(name)+".log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), extra...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
	}
	t.Cleanup(func() {
		stop()
		_ = logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", filepath.Base(name), tail(string(b), 60))
		}
	})
	return stop
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url) //nolint:gosec,noctx // loopback test endpoint
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// startSims runs n saturn-sim processes on loopback when the simulator
// builds; it returns their scrape targets.
func startSims(t *testing.T, dir, ns string, pods []string) []promtest.Target {
	t.Helper()
	sim := goBuild(t, dir, "./simulator/cmd/saturn-sim", "saturn-sim")
	var targets []promtest.Target
	for _, pod := range pods {
		port := freePort(t)
		process(t, sim, "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--accelerator", "L40S",
			"--model", model, "--replica-name", pod, "--log-level", "warn")
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		require.Eventually(t, func() bool {
			code, _, err := httpGet("http://" + addr + "/health")
			return err == nil && code == http.StatusOK
		}, 20*time.Second, 100*time.Millisecond, "saturn-sim %s never became healthy", pod)
		targets = append(targets, promtest.Target{Address: addr, Labels: map[string]string{"namespace": ns, "pod": pod}})
	}
	return targets
}

// TestControllerBinaryDirectMode runs the real saturn-controller binary
// against the envtest API server and a real Prometheus over TLS that scrapes
// saturated vLLM-like pods (one namespace) and real saturn-sim processes
// (another namespace).
func TestControllerBinaryDirectMode(t *testing.T) {
	requireEnv(t)
	promtest.Binary(t)
	dir := t.TempDir()
	ctrlBin := goBuild(t, dir, "./controller/cmd/saturn-controller", "saturn-controller")

	// Saturated fake pods: the controller must scale their Deployment up.
	const satNS, simNS = "bin-saturated", "bin-sim"
	createNamespace(t, satNS)
	createNamespace(t, simNS)
	createNamespace(t, "saturn-system")
	satDeploy := createDeployment(t, satNS, "qwen-l40s", 2, 2)
	var targets []promtest.Target
	for _, pod := range []string{"qwen-l40s-6b7f9c-aaaaa", "qwen-l40s-6b7f9c-bbbbb"} {
		createReadyPod(t, satDeploy, pod)
		targets = append(targets, newVLLMPod(t, satNS, pod, model, 0.97, 12, 8).target())
	}
	// Real simulator processes, idle.
	simDeploy := createDeployment(t, simNS, "qwen-sim", 2, 2)
	simPods := []string{"qwen-sim-5c8d7b-aaaaa", "qwen-sim-5c8d7b-bbbbb"}
	for _, pod := range simPods {
		createReadyPod(t, simDeploy, pod)
	}
	targets = append(targets, startSims(t, dir, simNS, simPods)...)
	prom := promtest.Start(t, promtest.Options{Targets: targets})

	kubeconfig := writeKubeconfig(t, "saturn-controller")

	metricsPort, probePort := freePort(t), freePort(t)
	stopController := process(t, ctrlBin, "run",
		"--kubeconfig", kubeconfig,
		"--prometheus-url", prom.URL,
		"--prometheus-ca-file", prom.CA.CertFile,
		"--actuation", "direct",
		// A long interval: every cycle below is triggered by a watch.
		"--interval", "1h",
		"--config-namespace", "saturn-system",
		"--leader-elect",
		"--leader-election-namespace", "saturn-system",
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", metricsPort),
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", probePort),
	)
	require.Eventually(t, func() bool {
		code, _, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort))
		return err == nil && code == http.StatusOK
	}, 60*time.Second, 200*time.Millisecond, "controller never became ready")
	code, _, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/healthz", probePort))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)

	// Both pods of each namespace are scraped before the VAs exist, so the
	// first (watch-triggered) cycle sees complete metrics.
	q, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, err := q.Query(context.Background(), `count(vllm:kv_cache_usage_perc)`, time.Now())
		return err == nil && len(v) == 1 && v[0].Value == 4
	}, 30*time.Second, 200*time.Millisecond, "Prometheus never scraped the four pods")

	// The VAs are created after start: the watch (not the 1h tick) picks them up.
	createVA(t, satNS, "qwen-l40s", "qwen-l40s", model, "L40S")
	createVA(t, simNS, "qwen-sim", "qwen-sim", model, "L40S")

	ctx := context.Background()
	require.Eventually(t, func() bool {
		var d appsv1.Deployment
		if err := env.client.Get(ctx, client.ObjectKeyFromObject(satDeploy), &d); err != nil {
			return false
		}
		return *d.Spec.Replicas > 2
	}, 60*time.Second, 250*time.Millisecond, "the binary never scaled the saturated Deployment up")

	var va v1alpha1.VariantAutoscaling
	require.Eventually(t, func() bool {
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: satNS, Name: "qwen-l40s"}, &va); err != nil {
			return false
		}
		c := va.GetCondition(v1alpha1.TypeOptimizationReady)
		return c != nil && c.Status == metav1.ConditionTrue && va.Status.Actuation.Applied
	}, 30*time.Second, 250*time.Millisecond)
	var d appsv1.Deployment
	require.NoError(t, env.client.Get(ctx, client.ObjectKeyFromObject(satDeploy), &d))
	assert.Equal(t, va.Status.DesiredOptimizedAlloc.NumReplicas, *d.Spec.Replicas)

	// The simulator-backed variant has fresh metrics from real processes.
	require.Eventually(t, func() bool {
		var sim v1alpha1.VariantAutoscaling
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: simNS, Name: "qwen-sim"}, &sim); err != nil {
			return false
		}
		c := sim.GetCondition(v1alpha1.TypeMetricsAvailable)
		return c != nil && c.Status == metav1.ConditionTrue
	}, 30*time.Second, 250*time.Millisecond, "metrics of the saturn-sim pods never became available")

	// The gauges are on the metrics endpoint with WVA's labels and agree with
	// the status (read both until a cycle is not in between).
	require.Eventually(t, func() bool {
		var cur v1alpha1.VariantAutoscaling
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: satNS, Name: "qwen-l40s"}, &cur); err != nil {
			return false
		}
		_, body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
		if err != nil {
			return false
		}
		want := fmt.Sprintf(`wva_desired_replicas{accelerator_type="L40S",namespace=%q,variant_name="qwen-l40s"} %d`, satNS, cur.Status.DesiredOptimizedAlloc.NumReplicas)
		return containsLine(body, want)
	}, 20*time.Second, 250*time.Millisecond, "wva_desired_replicas on /metrics never matched the VA status")

	// Events on the VA went through the events.k8s.io API.
	require.Eventually(t, func() bool {
		var evs eventsv1.EventList
		if err := env.client.List(ctx, &evs, client.InNamespace(satNS)); err != nil {
			return false
		}
		for _, e := range evs.Items {
			if e.Regarding.Kind == "VariantAutoscaling" && e.Regarding.Name == "qwen-l40s" && e.Reason == "ScaledUp" {
				return true
			}
		}
		return false
	}, 30*time.Second, 250*time.Millisecond, "no ScaledUp Event on the VA")

	// Hot reload: a new saturation ConfigMap takes effect without a restart
	// (and, with a 1h interval, through the ConfigMap watch).
	require.NoError(t, env.client.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "saturn-system", Name: "wva-saturation-scaling-config"},
		Data:       map[string]string{"default": "kvCacheThreshold: 0.8\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\nanalyzer: wva-v1\n"},
	}))
	require.Eventually(t, func() bool {
		var sim v1alpha1.VariantAutoscaling
		if err := env.client.Get(ctx, client.ObjectKey{Namespace: simNS, Name: "qwen-sim"}, &sim); err != nil {
			return false
		}
		return sim.Status.DesiredOptimizedAlloc.Analyzer == "wva-v1"
	}, 30*time.Second, 250*time.Millisecond, "the ConfigMap change never reached the decisions")

	// Leader election took the Lease.
	var lease coordinationv1.Lease
	require.NoError(t, env.client.Get(ctx, client.ObjectKey{Namespace: "saturn-system", Name: "saturn-controller.llmd.ai"}, &lease))
	require.NotNil(t, lease.Spec.HolderIdentity)
	assert.NotEmpty(t, *lease.Spec.HolderIdentity)

	// On SIGTERM it hands the Lease back: a successor takes over at once, not after the
	// lease expires (15 s).
	stopController()
	require.NoError(t, env.client.Get(ctx, client.ObjectKey{Namespace: "saturn-system", Name: "saturn-controller.llmd.ai"}, &lease))
	assert.Empty(t, ptr.Deref(lease.Spec.HolderIdentity, ""), "the Lease is released on shutdown")
}

func containsLine(body, line string) bool {
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == line {
			return true
		}
	}
	return false
}
