package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
	"github.com/saturn-autoscaler/saturn/harness/e2e"
)

// userKubeconfig writes a kubeconfig for an envtest user bound to rules in ns only.
func userKubeconfig(t *testing.T, name, ns string, rules []rbacv1.PolicyRule) string {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, env.client.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}))
	require.NoError(t, env.client.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}},
	}))
	return kubeconfigFor(t, envtest.User{Name: name})
}

// ownAddress is a non-loopback IPv4 address of this host's own interfaces.
func ownAddress(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this host has no non-loopback IPv4 address, which an EndpointSlice needs")
	}
	t.Skip("this host has no non-loopback IPv4 address, which an EndpointSlice needs (the API server refuses loopback); " +
		"the test runs on any host with one, and fails instead of skipping in CI")
	return ""
}

// TestRouterWakesAModelFromZero runs the scale-from-zero chain with real
// processes and servers: `saturn router`, with only the e2e Role's permissions,
// discovers pods from EndpointSlices on the API server and holds requests
// while none is ready; a real Prometheus over TLS scrapes its flow-control
// gauge; the saturn-controller binary (direct actuation, scale to zero on)
// reads it with its default query and scales the Deployment from 0 to 1; a
// saturn-sim process then becomes the ready endpoint and answers the held
// requests.
func TestRouterWakesAModelFromZero(t *testing.T) {
	requireEnv(t)
	promtest.Binary(t)
	dir := t.TempDir()
	saturn := goBuild(t, dir, "./harness/cmd/saturn", "saturn")
	ctrlBin := goBuild(t, dir, "./controller/cmd/saturn-controller", "saturn-controller")
	ctx := context.Background()
	const ns, cfgNS, name = "router-zero", "router-zero-system", "qwen-zero"
	createNamespace(t, ns)
	createNamespace(t, cfgNS)
	deploy := createDeployment(t, ns, name, 0, 0)
	require.NoError(t, env.client.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 8000, TargetPort: intstr.FromString("http")}},
		},
	}))
	// No endpoint controller runs here: the test writes the Service's slice.
	eps := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name + "-x7k2p", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	require.NoError(t, env.client.Create(ctx, eps))

	routerAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	kubeconfig := userKubeconfig(t, "saturn-router", ns, e2e.RouterRules)
	process(t, saturn, "router", "--service", name, "--namespace", ns, "--model", model,
		"--kubeconfig", kubeconfig, "--listen", routerAddr)
	require.Eventually(t, func() bool {
		code, _, err := httpGet("http://" + routerAddr + "/health")
		return err == nil && code == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "the router never read the endpoints")

	// Three requests arrive while the model has no replica: the router holds them.
	type answer struct {
		code int
		body string
		err  error
	}
	answers := make(chan answer, 3)
	for i := range 3 {
		go func() {
			body := fmt.Sprintf(`{"model":%q,"prompt":"wake up %d","max_tokens":4}`, model, i)
			resp, err := http.Post("http://"+routerAddr+"/v1/completions", "application/json", strings.NewReader(body)) //nolint:noctx // loopback test
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			answers <- answer{code: resp.StatusCode, body: string(b), err: err}
		}()
	}

	prom := promtest.Start(t, promtest.Options{Targets: []promtest.Target{
		{Address: routerAddr, Labels: map[string]string{"namespace": ns, "pod": name + "-gateway-0"}},
	}})
	q, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, err := q.Query(ctx, collector.DefaultScaleFromZeroQuery, time.Now())
		return err == nil && len(v) == 1 && v[0].Value == 3 &&
			string(v[0].Metric["namespace"]) == ns && string(v[0].Metric[collector.DefaultScaleFromZeroModelLabel]) == model
	}, 30*time.Second, 200*time.Millisecond, "the controller's scale-from-zero query never saw the 3 held requests")

	admin, err := env.testEnv.AddUser(envtest.User{Name: "saturn-controller-zero", Groups: []string{"system:masters"}}, nil)
	require.NoError(t, err)
	kc, err := admin.KubeConfig()
	require.NoError(t, err)
	ctrlKubeconfig := filepath.Join(dir, "controller.kubeconfig")
	require.NoError(t, os.WriteFile(ctrlKubeconfig, kc, 0o600))
	process(t, ctrlBin, "run",
		"--kubeconfig", ctrlKubeconfig,
		"--prometheus-url", prom.URL, "--prometheus-ca-file", prom.CA.CertFile,
		"--actuation", "direct", "--interval", "2s", "--scale-to-zero=true",
		"--config-namespace", cfgNS,
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	)
	createVA(t, ns, name, name, model, "L40S")
	require.Eventually(t, func() bool {
		var d appsv1.Deployment
		return env.client.Get(ctx, client.ObjectKeyFromObject(deploy), &d) == nil && *d.Spec.Replicas == 1
	}, 60*time.Second, 250*time.Millisecond, "the controller never scaled the model up from zero")

	select {
	case a := <-answers:
		t.Fatalf("a held request was answered before any pod was ready: %+v", a)
	default:
	}

	// The new replica becomes ready: the held requests go to it. The API server
	// refuses loopback addresses in EndpointSlices, so the pod listens on one of
	// this host's own non-loopback addresses (the traffic stays on the host).
	hostIP := ownAddress(t)
	simPort := freePort(t)
	process(t, goBuild(t, dir, "./simulator/cmd/saturn-sim", "saturn-sim"), "--host", hostIP, "--port", fmt.Sprint(simPort),
		"--accelerator", "L40S", "--model", model, "--log-level", "warn")
	simAddr := net.JoinHostPort(hostIP, fmt.Sprint(simPort))
	require.Eventually(t, func() bool {
		code, _, err := httpGet("http://" + simAddr + "/health")
		return err == nil && code == http.StatusOK
	}, 20*time.Second, 100*time.Millisecond, "saturn-sim never became healthy")
	eps.Ports = []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(simPort))}}
	eps.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{hostIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}}
	require.NoError(t, env.client.Update(ctx, eps))
	for range 3 {
		select {
		case a := <-answers:
			require.NoError(t, a.err)
			assert.Equal(t, http.StatusOK, a.code, a.body)
			assert.Contains(t, a.body, `"object":"text_completion"`)
		case <-time.After(30 * time.Second):
			t.Fatal("a held request was not answered after the pod became ready")
		}
	}
	require.Eventually(t, func() bool {
		v, err := q.Query(ctx, collector.DefaultScaleFromZeroQuery, time.Now())
		return err == nil && len(v) == 1 && v[0].Value == 0
	}, 30*time.Second, 200*time.Millisecond, "the queue gauge did not return to 0")
}
