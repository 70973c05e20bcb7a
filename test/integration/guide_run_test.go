package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
)

// The controller starts from what the chart renders with each of the llm-d guide's values
// files, as they are, and reaches the Prometheus the file names: the rendered objects are
// created on a real API server (RBAC included), the rendered command line runs the real
// binary as the chart's ServiceAccount, and only what a pod's environment provides is
// substituted: the ServiceAccount token at its mount path (a file here), loopback ports
// for the listeners, and the cluster network, which is a proxy that sends the file's
// Prometheus host to a real Prometheus (behind a gateway that checks the bearer token).
// The proxy records the host every query was addressed to.
func TestGuideValuesControllerReachesTheRenderedPrometheus(t *testing.T) {
	requireEnv(t)
	helm := helmBinary(t)
	promtest.Binary(t)
	ctrlBin := goBuild(t, t.TempDir(), "./controller/cmd/saturn-controller", "saturn-controller")
	for i, file := range guideFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			letter := string(rune('a' + i))
			ns, release := "guide-run-"+letter, "wva-run-"+letter // cluster-scoped names apart
			createNamespace(t, ns)
			want := loadGuideValues(ctx, t, file)
			promURL, err := url.Parse(want.WVA.Prometheus.BaseURL)
			require.NoError(t, err)
			require.NotEmpty(t, promURL.Host, "the guide's file names its Prometheus")

			// A model in the release's namespace with one ready pod Prometheus scrapes.
			deploy := createDeployment(t, ns, "guide-model", 1, 1)
			pod := "guide-model-7d9f8b-aaaaa"
			createReadyPod(t, deploy, pod)
			prom := promtest.Start(t, promtest.Options{Targets: []promtest.Target{newVLLMPod(t, ns, pod, model, 0.4, 0, 4).target()}})

			// helm install, on envtest: the controller's objects are created. An APIService
			// is only validated: with no server behind it, the aggregated API it registers
			// would fail discovery for every other test sharing the API server. So are the
			// VA and HPA a file puts in its llm-d namespace: several files name the same
			// ones there, and this test scales a model of its own.
			var args []string
			serviceAccount := ""
			for _, u := range renderGuide(ctx, t, helm, release, ns, file) {
				if a, sa := controllerArgs(u, ns); a != nil {
					args, serviceAccount = a, sa
				}
				var opts []client.CreateOption
				if u.GetKind() == "APIService" || (namespaced(u.GetKind()) && u.GetNamespace() != ns) {
					opts = append(opts, client.DryRunAll)
				}
				require.NoError(t, env.client.Create(ctx, u, opts...), "%s %s", u.GetKind(), u.GetName())
			}
			require.NotEmpty(t, args, "the controller's Deployment is rendered")
			require.NotEmpty(t, serviceAccount, "the controller runs as the chart's ServiceAccount")

			// What the pod's environment gives the process, and nothing else.
			token := "guide-token-" + letter
			gw := newGuideGateway(t, prom)
			tokenFile := filepath.Join(t.TempDir(), "token")
			require.NoError(t, os.WriteFile(tokenFile, []byte(token), 0o600))
			probePort := freePort(t)
			sendsToken := false
			for j, a := range args {
				name, _, _ := strings.Cut(a, "=")
				switch name {
				case "--prometheus-token-file":
					args[j], sendsToken = name+"="+tokenFile, true
				case "--metrics-bind-address":
					args[j] = fmt.Sprintf("%s=127.0.0.1:%d", name, freePort(t))
				case "--health-probe-bind-address":
					args[j] = fmt.Sprintf("%s=127.0.0.1:%d", name, probePort)
				}
			}
			args = append(args, "--kubeconfig", serviceAccountKubeconfig(t, ns, serviceAccount))
			processEnv(t, []string{"HTTPS_PROXY=" + gw.proxyURL, "HTTP_PROXY=" + gw.proxyURL, "NO_PROXY="}, ctrlBin, args...)

			require.Eventually(t, func() bool {
				code, _, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort))
				return err == nil && code == http.StatusOK
			}, 60*time.Second, 200*time.Millisecond, "the controller never became ready")

			// The first cycle runs on the VA's creation (the watch), not the interval.
			createVA(t, ns, "guide-model", "guide-model", model, "H100")
			require.Eventually(t, func() bool {
				var va v1alpha1.VariantAutoscaling
				if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "guide-model"}, &va); err != nil {
					return false
				}
				c := va.GetCondition(v1alpha1.TypeMetricsAvailable)
				return c != nil && c.Status == metav1.ConditionTrue
			}, 90*time.Second, 250*time.Millisecond, "the VA never had metrics from the guide's Prometheus")

			hosts, queries, tokens := gw.seen()
			require.NotZero(t, queries, "the controller's queries reached Prometheus through the guide's address")
			assert.Equal(t, []string{promURL.Host}, hosts, "every request went to the host and port the file names")
			if sendsToken {
				assert.Equal(t, []string{"Bearer " + token}, tokens, "the ServiceAccount token is the bearer of every query")
			} else {
				assert.Equal(t, []string{""}, tokens, "no token where the file gives none")
			}
		})
	}
}

// serviceAccountKubeconfig is a kubeconfig authenticating as ServiceAccount sa of ns, so
// the chart's RBAC is what the controller may do.
func serviceAccountKubeconfig(t *testing.T, ns, sa string) string {
	t.Helper()
	return kubeconfigFor(t, envtest.User{
		Name:   "system:serviceaccount:" + ns + ":" + sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	})
}

// guideGateway stands for the cluster network between the controller and the guide's
// Prometheus: an HTTP proxy (the controller honours HTTPS_PROXY/HTTP_PROXY) that records
// the host each request is addressed to and hands it to a gateway in front of a real
// Prometheus. The gateway records each query's Authorization header. It serves TLS with a
// certificate of its own: the guide's files all skip verification
// (prometheus.tls.insecureSkipVerify: true).
type guideGateway struct {
	proxyURL string

	mu      sync.Mutex
	hosts   map[string]bool
	tokens  map[string]bool
	queries int
}

func newGuideGateway(t *testing.T, prom *promtest.Server) *guideGateway {
	t.Helper()
	g := &guideGateway{hosts: map[string]bool{}, tokens: map[string]bool{}}
	pem, err := os.ReadFile(prom.CA.CertFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	target, err := url.Parse(prom.URL)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			g.mu.Lock()
			g.queries++
			g.tokens[r.Header.Get("Authorization")] = true
			g.mu.Unlock()
		}
		r.Header.Del("Authorization") // the test Prometheus takes none
		r.Host = target.Host
		rp.ServeHTTP(w, r)
	})
	backend := httptest.NewTLSServer(api)
	t.Cleanup(backend.Close)

	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.hosts[r.Host] = true
		g.mu.Unlock()
		if r.Method != http.MethodConnect {
			// Plain http (GKE's file): an absolute-URI request, answered by the gateway.
			r.URL.Scheme, r.URL.Host, r.RequestURI = "", "", ""
			api.ServeHTTP(w, r)
			return
		}
		up, err := net.Dial("tcp", backend.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			_ = up.Close()
			http.Error(w, "no hijacking", http.StatusInternalServerError)
			return
		}
		down, buf, err := hj.Hijack()
		if err != nil {
			_ = up.Close()
			return
		}
		_, _ = down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() {
			_, _ = io.Copy(up, buf)
			_ = up.Close()
		}()
		go func() {
			_, _ = io.Copy(down, up)
			_ = down.Close()
		}()
	}))
	t.Cleanup(proxy.Close)
	g.proxyURL = proxy.URL
	return g
}

// seen returns the hosts requests were addressed to, the number of API queries and the
// Authorization headers they carried (each distinct value once, sorted).
func (g *guideGateway) seen() (hosts []string, queries int, tokens []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for h := range g.hosts {
		hosts = append(hosts, h)
	}
	for k := range g.tokens {
		tokens = append(tokens, k)
	}
	slices.Sort(hosts)
	slices.Sort(tokens)
	return hosts, g.queries, tokens
}
