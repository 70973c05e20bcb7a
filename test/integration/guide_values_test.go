package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/app"
)

// A WVA user switching to saturn changes nothing but the chart reference: charts/saturn
// renders with each of the llm-d guide's values files for WVA's chart as they are
// (testdata/guide, byte for byte with a header naming the source), the output applies to
// a real API server, and the controller's rendered command line parses and validates with
// the binary's own flags and reaches the Prometheus settings the file gives.
func TestGuideValuesFilesInstallUnchanged(t *testing.T) {
	requireEnv(t)
	helm := helmBinary(t)
	files, err := filepath.Glob(filepath.Join("testdata", "guide", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, 4)
	for i, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ns := "guide-" + string(rune('a'+i))
			createNamespace(t, ns)
			var stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, helm, "template", "wva", filepath.Join(repoRoot(), "charts", "saturn"), "--namespace", ns, "--values", file)
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			require.NoError(t, err, "helm template with the guide's file as it is: %s", stderr.String())

			var want struct {
				WVA struct {
					ReconcileInterval string `json:"reconcileInterval"`
					ScaleToZero       bool   `json:"scaleToZero"`
					Prometheus        struct {
						BaseURL string `json:"baseURL"`
						TLS     struct {
							InsecureSkipVerify bool `json:"insecureSkipVerify"`
						} `json:"tls"`
					} `json:"prometheus"`
				} `json:"wva"`
				LLMD struct {
					Namespace string `json:"namespace"`
				} `json:"llmd"`
			}
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			require.NoError(t, yaml.Unmarshal(raw, &want))
			if n := want.LLMD.Namespace; n != "" {
				// The user's existing llm-d namespace, where the VA and HPA go.
				_ = env.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}})
			}

			var args []string
			for _, doc := range strings.Split(string(out), "\n---") {
				u := &unstructured.Unstructured{}
				require.NoError(t, yaml.Unmarshal([]byte(doc), &u.Object))
				if len(u.Object) == 0 {
					continue
				}
				if u.GetKind() == "Deployment" {
					cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
					for _, a := range cs[0].(map[string]any)["args"].([]any) {
						args = append(args, strings.ReplaceAll(a.(string), "$(POD_NAMESPACE)", ns))
					}
				}
				if u.GetNamespace() == "" && namespaced(u.GetKind()) {
					u.SetNamespace(ns)
				}
				if !namespaced(u.GetKind()) {
					u.SetName(ns + "-" + u.GetName()) // cluster objects of each subtest apart
				}
				require.NoError(t, env.client.Create(ctx, u, client.DryRunAll), "%s %s applies to the API server", u.GetKind(), u.GetName())
			}
			require.NotEmpty(t, args, "the controller's Deployment is rendered")
			require.Equal(t, "run", args[0])
			o := app.NewRunOptions()
			fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
			o.AddFlags(fs)
			require.NoError(t, fs.Parse(args[1:]), "%v", args)
			require.NoError(t, o.Validate(), "the controller starts with the rendered flags: %v", args)
			assert.Equal(t, want.WVA.Prometheus.BaseURL, o.Prometheus.URL)
			assert.Equal(t, want.WVA.Prometheus.TLS.InsecureSkipVerify, o.Prometheus.InsecureSkipVerify)
			assert.Equal(t, want.WVA.ScaleToZero, o.ScaleToZero)
			if want.WVA.ReconcileInterval != "" {
				d, err := time.ParseDuration(want.WVA.ReconcileInterval)
				require.NoError(t, err)
				assert.Equal(t, d, o.Interval, "wva.reconcileInterval is honoured (WVA's engine ignores it)")
			}
		})
	}
}

func namespaced(kind string) bool {
	switch kind {
	case "ClusterRole", "ClusterRoleBinding", "APIService", "Namespace", "CustomResourceDefinition":
		return false
	}
	return true
}
