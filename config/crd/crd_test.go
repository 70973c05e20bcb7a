package crd

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

type schemas struct {
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
}

func loadSchemas(t *testing.T) schemas {
	t.Helper()
	crd, err := VariantAutoscaling()
	require.NoError(t, err)
	require.Equal(t, "variantautoscalings.llmd.ai", crd.Name)
	require.Equal(t, []string{"va"}, crd.Spec.Names.ShortNames)
	require.Len(t, crd.Spec.Versions, 1)
	require.Equal(t, "v1alpha1", crd.Spec.Versions[0].Name)
	require.NotNil(t, crd.Spec.Versions[0].Subresources.Status)
	var internal apiextensions.JSONSchemaProps
	require.NoError(t, apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(
		crd.Spec.Versions[0].Schema.OpenAPIV3Schema, &internal, nil))
	s, err := structuralschema.NewStructural(&internal)
	require.NoError(t, err)
	v, _, err := validation.NewSchemaValidator(&internal)
	require.NoError(t, err)
	return schemas{structural: s, validator: v}
}

// admit does what the API server does with a create: prune (reporting unknown fields, as
// kubectl's strict field validation does), default, validate.
func (s schemas) admit(t *testing.T, data []byte) (map[string]any, []string, field.ErrorList) {
	t.Helper()
	var obj map[string]any
	require.NoError(t, yaml.Unmarshal(data, &obj))
	unknown := pruning.PruneWithOptions(obj, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	defaulting.Default(obj, s.structural)
	errs := validation.ValidateCustomResource(nil, obj, s.validator)
	return obj, unknown, errs
}

func TestSampleManifests(t *testing.T) {
	s := loadSchemas(t)
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			obj, unknown, errs := s.admit(t, data)
			if strings.HasPrefix(filepath.Base(f), "valid-") {
				assert.Empty(t, unknown, "a valid manifest must apply under strict field validation")
				assert.Empty(t, errs)
				// It also decodes strictly into the Go type.
				var va v1alpha1.VariantAutoscaling
				require.NoError(t, yaml.UnmarshalStrict(data, &va))
				assert.NotEmpty(t, va.Spec.ModelID)
				spec := obj["spec"].(map[string]any)
				assert.NotEmpty(t, spec["variantCost"], "variantCost is defaulted")
				return
			}
			want := wantLine(t, data)
			var got []string
			got = append(got, unknown...)
			for _, e := range errs {
				got = append(got, e.Error())
			}
			joined := strings.Join(got, "\n")
			if strings.HasPrefix(want, "unknown field ") {
				assert.Contains(t, unknown, strings.TrimPrefix(want, "unknown field "), joined)
				return
			}
			assert.Contains(t, joined, want)
		})
	}
}

func TestDefaultVariantCost(t *testing.T) {
	s := loadSchemas(t)
	data, err := os.ReadFile("testdata/valid-minimal.yaml")
	require.NoError(t, err)
	obj, _, _ := s.admit(t, data)
	assert.Equal(t, v1alpha1.DefaultVariantCost, obj["spec"].(map[string]any)["variantCost"])
}

// wantLine reads the "# want: ..." comment of an invalid sample.
func wantLine(t *testing.T, data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			return w
		}
	}
	t.Fatal("invalid sample without a '# want:' line")
	return ""
}
