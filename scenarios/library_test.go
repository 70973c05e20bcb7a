package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// library lists the scenario files on disk.
func library(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	return files
}

func TestLibraryHasTheRequiredScenarios(t *testing.T) {
	for _, name := range []string{"quickstart", "spike", "ramp", "diurnal-24h", "trace-azure", "scale-to-zero", "multi-variant", "prometheus-outage", "prefill-heavy"} {
		assert.Contains(t, Names(), name)
	}
	assert.Len(t, Names(), len(library(t)), "every file on disk is embedded")
}

func TestLibraryScenariosLoad(t *testing.T) {
	for _, file := range library(t) {
		t.Run(file, func(t *testing.T) {
			s, err := scenario.Load(file)
			require.NoError(t, err)
			assert.Equal(t, strings.TrimSuffix(file, ".yaml"), s.Metadata.Name, "metadata.name matches the file name")
			assert.NotEmpty(t, s.Metadata.Description)
			assert.NotEmpty(t, s.Spec.Assertions)
			hasNothingLost := false
			for _, a := range s.Spec.Assertions {
				hasNothingLost = hasNothingLost || a.NothingLost != nil
			}
			assert.True(t, hasNothingLost, "every library scenario asserts nothingLost")

			embedded, err := Load(s.Metadata.Name)
			require.NoError(t, err)
			assert.Equal(t, s.Spec, embedded.Spec, "the embedded copy is the file on disk")
		})
	}
	_, err := Load("nope")
	require.ErrorContains(t, err, "no library scenario \"nope\"; available: ")
}

func TestQuickstartIsEmbedded(t *testing.T) {
	data, err := os.ReadFile("quickstart.yaml")
	require.NoError(t, err)
	assert.Equal(t, data, Quickstart)
}

// countRequests runs a scenario's generator to the end.
func countRequests(t *testing.T, s *scenario.Scenario) int {
	t.Helper()
	n := 0
	for _, err := range scenario.Requests(s, s.Spec.Seed) {
		require.NoError(t, err)
		n++
	}
	return n
}

func TestLibraryTrafficVolumes(t *testing.T) {
	// Expected requests from each scenario's rate schedule, checked against hand computation.
	cases := map[string]float64{
		"quickstart":        60*2 + 300*21 + 240*40,
		"diurnal-24h":       25 * 86400,
		"ramp":              78/math.Log(40)*1200 + 80*600,
		"spike":             20*60*10 + 5*60*50 + 35*60*10 + 60*10,
		"scale-to-zero":     2 * 600 * 5,
		"multi-variant":     600*5 + 600*22.5 + 600*40 + 600*22.5,
		"prometheus-outage": 900*30 + 1500*5,
		"prefill-heavy":     180*0.5 + 1020*2.25,
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Load(name)
			require.NoError(t, err)
			got, err := scenario.ExpectedRequests(&s.Spec)
			require.NoError(t, err)
			assert.InDelta(t, want, got, 1e-6*want)
		})
	}
	s, err := Load("diurnal-24h")
	require.NoError(t, err)
	sched, _, err := scenario.Schedule(&s.Spec)
	require.NoError(t, err)
	assert.InDelta(t, 49, scenario.RateAt(sched, 14*time.Hour), 1e-9, "peak near 50 req/s at 14:00")
	assert.InDelta(t, 1, scenario.RateAt(sched, 2*time.Hour), 1e-9)
}

func TestSmallLibraryScenariosGenerate(t *testing.T) {
	for _, name := range []string{"quickstart", "spike", "trace-azure", "scale-to-zero"} {
		t.Run(name, func(t *testing.T) {
			s, err := Load(name)
			require.NoError(t, err)
			n := countRequests(t, s)
			if s.Spec.Traffic.Trace != nil {
				assert.InDelta(t, 2*6864, n, 2, "rateMultiplier 2 over the 6,864-record sample")
				return
			}
			want, err := scenario.ExpectedRequests(&s.Spec)
			require.NoError(t, err)
			assert.InDelta(t, want, float64(n), 5*math.Sqrt(want))
		})
	}
}

// yamlToJSON converts a YAML document to the JSON value jsonschema validates.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(data, &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return inst
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("scenario.schema.json", doc))
	sch, err := c.Compile("scenario.schema.json")
	require.NoError(t, err)
	return sch
}

func TestScenariosValidateAgainstTheSchema(t *testing.T) {
	sch := compileSchema(t)
	files := library(t)
	valid, err := filepath.Glob("../harness/scenario/testdata/valid-*.yaml")
	require.NoError(t, err)
	for _, file := range append(files, valid...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			require.NoError(t, sch.Validate(yamlToJSON(t, data)))
			_, err = scenario.Load(file)
			require.NoError(t, err, "and against the Go loader")
		})
	}
}

func TestSchemaRejectsWhatTheLoaderRejects(t *testing.T) {
	// Invalid files whose problem is structural (unknown field, enum, type) fail both.
	sch := compileSchema(t)
	for _, name := range []string{
		"unknown-field", "unknown-top-field", "wrong-type-rate", "wrong-type-list", "bad-duration",
		"string-for-int", "bool-type", "api-version", "kind", "missing-kind", "unknown-model",
		"unknown-accelerator", "unknown-process", "percentile", "latency-metric", "analyzer",
		"actuation", "hpa-policy", "router", "trace-format", "length-type", "variant-name",
		"tensor-parallel", "seed-negative", "nothing-lost-false", "fault-two-kinds", "threshold",
	} {
		t.Run(name, func(t *testing.T) {
			file := "../harness/scenario/testdata/invalid-" + name + ".yaml"
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Error(t, sch.Validate(yamlToJSON(t, data)), "schema")
			_, err = scenario.Load(file)
			assert.Error(t, err, "loader")
		})
	}
}

// schemaNode is a JSON Schema object.
type schemaNode = map[string]any

// resolve follows $ref and picks the object alternative of a oneOf.
func resolve(t *testing.T, root, n schemaNode) schemaNode {
	t.Helper()
	for range 10 {
		if ref, ok := n["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/$defs/")
			def, ok := root["$defs"].(schemaNode)[name].(schemaNode)
			require.True(t, ok, "unknown $ref %s", ref)
			n = def
			continue
		}
		if alts, ok := n["oneOf"].([]any); ok {
			var obj schemaNode
			for _, a := range alts {
				an := resolve(t, root, a.(schemaNode))
				if an["type"] == "object" {
					obj = an
				}
			}
			if obj != nil {
				return obj
			}
		}
		return n
	}
	t.Fatal("$ref cycle")
	return nil
}

// compareFields checks that the schema node and the Go type accept the same fields, recursively.
func compareFields(t *testing.T, root, n schemaNode, typ reflect.Type, path string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	n = resolve(t, root, n)
	switch {
	case typ == reflect.TypeFor[time.Duration]():
		return
	case typ.Kind() == reflect.Slice:
		items, ok := n["items"].(schemaNode)
		require.True(t, ok, "%s: schema has no items for a list", path)
		compareFields(t, root, items, typ.Elem(), path+"[]")
	case typ.Kind() == reflect.Map:
		_, ok := n["additionalProperties"].(schemaNode)
		require.True(t, ok, "%s: schema must allow a map", path)
	case typ.Kind() == reflect.Struct:
		props, ok := n["properties"].(schemaNode)
		require.True(t, ok, "%s: schema has no properties for struct %s", path, typ)
		assert.Equal(t, false, n["additionalProperties"], "%s: schema must reject unknown fields", path)
		goFields := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := scenario.YAMLName(f)
			if name == "" {
				continue
			}
			goFields[name] = true
			p, ok := props[name].(schemaNode)
			if !assert.True(t, ok, "%s.%s: accepted by the Go types but missing from the schema", path, name) {
				continue
			}
			compareFields(t, root, p, f.Type, path+"."+name)
		}
		for name := range props {
			assert.True(t, goFields[name], "%s.%s: in the schema but not accepted by the Go types", path, name)
		}
	}
}

func TestSchemaListsEveryField(t *testing.T) {
	var root schemaNode
	require.NoError(t, json.Unmarshal(Schema, &root))
	compareFields(t, root, root, reflect.TypeFor[scenario.Scenario](), "")

	// The enums the loader knows are the schema's.
	spec := root["properties"].(schemaNode)["spec"].(schemaNode)["properties"].(schemaNode)
	models := spec["model"].(schemaNode)["properties"].(schemaNode)["name"].(schemaNode)["enum"].([]any)
	assert.ElementsMatch(t, keys(scenario.KnownModels), strs(models))
	variant := spec["variants"].(schemaNode)["items"].(schemaNode)["properties"].(schemaNode)
	accels := variant["accelerator"].(schemaNode)["enum"].([]any)
	assert.ElementsMatch(t, keys(scenario.KnownAccelerators), strs(accels))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func strs(xs []any) []string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func BenchmarkDiurnal24hRequests(b *testing.B) {
	s, err := Load("diurnal-24h")
	require.NoError(b, err)
	total := 0
	for range b.N {
		for _, err := range scenario.Requests(s, s.Spec.Seed) {
			if err != nil {
				b.Fatal(err)
			}
			total++
		}
	}
	b.ReportMetric(float64(total)/float64(b.N), "requests/run")
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "requests/s")
}
