package crd

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

// The embedded CRD must describe exactly the Go types' fields: a field added to the types
// without regenerating the YAML (see controller/api/v1alpha1/doc.go) fails here.
func TestCRDMatchesGoTypes(t *testing.T) {
	crd, err := VariantAutoscaling()
	require.NoError(t, err)
	root := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	var fromSchema, fromTypes []string
	schemaPaths("", root.Properties["spec"], &fromSchema)
	schemaPaths("", root.Properties["status"], &fromSchema)
	typePaths("", reflect.TypeFor[v1alpha1.VariantAutoscalingSpec](), &fromTypes)
	typePaths("", reflect.TypeFor[v1alpha1.VariantAutoscalingStatus](), &fromTypes)
	sort.Strings(fromSchema)
	sort.Strings(fromTypes)
	assert.Equal(t, fromTypes, fromSchema)
	assert.Equal(t, []string{"modelID", "scaleTargetRef"}, root.Properties["spec"].Required)
}

func schemaPaths(prefix string, s apiextensionsv1.JSONSchemaProps, out *[]string) {
	if s.Items != nil && s.Items.Schema != nil {
		schemaPaths(prefix+"[]", *s.Items.Schema, out)
		return
	}
	for name, p := range s.Properties {
		path := strings.TrimPrefix(prefix+"."+name, ".")
		*out = append(*out, path)
		if strings.HasSuffix(path, "conditions") {
			continue // metav1.Condition
		}
		schemaPaths(path, p, out)
	}
}

var leafStructs = map[reflect.Type]bool{
	reflect.TypeFor[metav1.Time]():      true,
	reflect.TypeFor[metav1.Condition](): true,
}

func typePaths(prefix string, tp reflect.Type, out *[]string) {
	for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice {
		if tp.Kind() == reflect.Slice {
			prefix += "[]"
		}
		tp = tp.Elem()
	}
	if tp.Kind() != reflect.Struct || leafStructs[tp] {
		return
	}
	for i := range tp.NumField() {
		f := tp.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := strings.TrimPrefix(prefix+"."+name, ".")
		*out = append(*out, path)
		typePaths(path, f.Type, out)
	}
}
