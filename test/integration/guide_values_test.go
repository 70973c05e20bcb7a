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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	files := guideFiles(t)
	for i, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ns := "guide-" + string(rune('a'+i))
			createNamespace(t, ns)
			want := loadGuideValues(ctx, t, file)

			var args []string
			for _, u := range renderGuide(ctx, t, helm, "wva", ns, file) {
				if a, _ := controllerArgs(u, ns); a != nil {
					args = a
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

// guideFiles are the llm-d guide's values files for WVA's chart (testdata/guide, byte for
// byte with a header naming the source).
func guideFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "guide", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, 4)
	return files
}

// guideValues are the values of a guide file the tests check the rendering against.
type guideValues struct {
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

// loadGuideValues reads a guide file and creates the llm-d namespace it names (the user's
// existing one, where the file's VA and HPA go), if it does not exist yet.
func loadGuideValues(ctx context.Context, t *testing.T, file string) guideValues {
	t.Helper()
	var v guideValues
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, &v))
	if n := v.LLMD.Namespace; n != "" {
		err := env.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}})
		require.True(t, err == nil || apierrors.IsAlreadyExists(err), "creating namespace %s: %v", n, err)
	}
	return v
}

// renderGuide renders charts/saturn as release in ns with the guide file as it is, and
// returns the objects, each namespaced object without a namespace put in ns.
func renderGuide(ctx context.Context, t *testing.T, helm, release, ns, file string) []*unstructured.Unstructured {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, helm, "template", release, filepath.Join(repoRoot(), "charts", "saturn"), "--namespace", ns, "--values", file)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "helm template with the guide's file as it is: %s", stderr.String())
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(string(out), "\n---") {
		u := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &u.Object))
		if len(u.Object) == 0 {
			continue
		}
		if u.GetNamespace() == "" && namespaced(u.GetKind()) {
			u.SetNamespace(ns)
		}
		objs = append(objs, u)
	}
	return objs
}

// controllerArgs returns the command line and ServiceAccount of the controller's
// Deployment, $(POD_NAMESPACE) expanded to ns; nil for any other object.
func controllerArgs(u *unstructured.Unstructured, ns string) (args []string, serviceAccount string) {
	if u.GetKind() != "Deployment" {
		return nil, ""
	}
	serviceAccount, _, _ = unstructured.NestedString(u.Object, "spec", "template", "spec", "serviceAccountName")
	cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	for _, a := range cs[0].(map[string]any)["args"].([]any) {
		args = append(args, strings.ReplaceAll(a.(string), "$(POD_NAMESPACE)", ns))
	}
	return args, serviceAccount
}

func namespaced(kind string) bool {
	switch kind {
	case "ClusterRole", "ClusterRoleBinding", "APIService", "Namespace", "CustomResourceDefinition":
		return false
	}
	return true
}
