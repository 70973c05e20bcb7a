package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

func TestCRDIsServed(t *testing.T) {
	requireEnv(t)
	var crd apiextensionsv1.CustomResourceDefinition
	s := env.client.Scheme()
	require.NoError(t, apiextensionsv1.AddToScheme(s))
	c, err := client.New(env.cfg, client.Options{Scheme: s})
	require.NoError(t, err)
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Name: "variantautoscalings.llmd.ai"}, &crd))
	assert.Equal(t, "llmd.ai", crd.Spec.Group)
	assert.Contains(t, crd.Spec.Names.ShortNames, "va")
	established := false
	for _, cond := range crd.Status.Conditions {
		if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
			established = true
		}
	}
	assert.True(t, established, "CRD not established: %+v", crd.Status.Conditions)
	flavour, err := v1alpha1.CRDFlavour(context.Background(), env.client)
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.FlavourSaturn, flavour)
}

func TestWVASampleAppliesUnchanged(t *testing.T) {
	requireEnv(t)
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("testdata", "wva-sample-variantautoscaling.yaml"))
	require.NoError(t, err)
	u := &unstructured.Unstructured{}
	require.NoError(t, yaml.Unmarshal(raw, &u.Object))
	createNamespace(t, u.GetNamespace())
	require.NoError(t, env.client.Create(ctx, u), "WVA's sample manifest must apply to saturn's CRD as is")

	var va v1alpha1.VariantAutoscaling
	require.NoError(t, env.client.Get(ctx, client.ObjectKey{Namespace: "llm-d-sim", Name: "sample-deployment"}, &va))
	assert.Equal(t, "default/default", va.Spec.ModelID)
	assert.Equal(t, "A100", va.Accelerator())
	assert.Equal(t, "sample-deployment", va.Spec.ScaleTargetRef.Name)
	cost, err := va.Cost()
	require.NoError(t, err)
	assert.InDelta(t, 10.0, cost, 0, "variantCost defaults to 10.0")
}

func TestCRDRejectsMissingRequiredFields(t *testing.T) {
	requireEnv(t)
	createNamespace(t, "crd-validation")
	va := &v1alpha1.VariantAutoscaling{}
	va.Namespace, va.Name = "crd-validation", "no-model"
	va.Spec.ScaleTargetRef = v1alpha1.CrossVersionObjectReference{Kind: "Deployment", Name: "x"}
	err := env.client.Create(context.Background(), va)
	require.Error(t, err, "modelID is required")
}
