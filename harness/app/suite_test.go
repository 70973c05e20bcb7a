package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shortSuite writes two three-minute copies of the library quickstart into a
// temp folder, plus files compare --suite must ignore, and returns it.
func shortSuite(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "quickstart.yaml"))
	require.NoError(t, err)
	short := strings.NewReplacer(
		"duration: 10m", "duration: 3m",
		"duration: 5m", "duration: 1m",
		"duration: 4m", "duration: 1m",
	).Replace(string(src))
	require.NotEqual(t, string(src), short)
	dir := t.TempDir()
	for _, name := range []string{"b-quick.yaml", "a-quick.yaml"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(short), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a scenario"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "nested.yaml"), []byte("not read: not recursive"), 0o644))
	return dir
}

func TestCompareSuiteJSON(t *testing.T) {
	dir := shortSuite(t)
	out, _, err := run(t, "compare", "--suite", dir, "--format", "json")
	require.NoError(t, err, out)

	var doc map[string][]map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Len(t, doc, 1)
	rows := doc["rows"]
	require.Len(t, rows, 4)
	var got []string
	for _, r := range rows {
		got = append(got, r["scenario"].(string)+"/"+r["analyzer"].(string))
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		want := []string{"scenario", "analyzer", "attainment", "gpuHours", "floorGPUHours", "planGPUHours",
			"planAttainment", "p99TTFTSeconds", "flaps", "assertionsPassed", "assertionsTotal", "dominates"}
		if r["analyzer"] == "capacity" {
			want = append(want, "claim") // the claim is judged on the first analyzer's row only
			assert.NotEmpty(t, r["claim"])
		}
		assert.ElementsMatch(t, want, keys)
		assert.LessOrEqual(t, r["attainment"].(float64), 1.0, "a fraction")
		assert.Positive(t, r["gpuHours"].(float64))
		assert.Equal(t, 5.0, r["assertionsTotal"].(float64))
	}
	assert.Equal(t, []string{"a-quick/capacity", "a-quick/wva-v1", "b-quick/capacity", "b-quick/wva-v1"}, got,
		"sorted by file name, the default analyzer first")
	for i := range 2 {
		delete(rows[i], "scenario")
		delete(rows[i+2], "scenario")
		assert.Equal(t, rows[i], rows[i+2], "the same scenario gives the same figures, whichever worker ran it")
	}
}

func TestCompareSuiteText(t *testing.T) {
	dir := shortSuite(t)
	out, errOut, err := run(t, "compare", "--suite", dir, "--analyzer", "wva-v1", "--against", "capacity")
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6, out)
	assert.Regexp(t, `^scenario +analyzer +SLO attainment.* claim`, lines[0])
	assert.Regexp(t, `^a-quick +wva-v1 .* (holds|short: .*)$`, lines[1], "--analyzer is A, and its claim is judged")
	assert.Regexp(t, `^a-quick +capacity `, lines[2], "--against is B")
	assert.Regexp(t, `^wva-v1: the claim \(dominates capacity, .*\) holds on \d of 2 scenarios`, lines[5])
	assert.Contains(t, errOut, "running 2 scenarios under wva-v1 and capacity")

	out, _, err = run(t, "compare", "--suite", dir, "--format", "markdown")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "| scenario | analyzer |"), out)
}

// --seeds runs every scenario once per seed: a row per seed and analyzer, labelled with
// the seed, and the claim counted over the runs.
func TestCompareSuiteSeeds(t *testing.T) {
	dir := shortSuite(t)
	out, errOut, err := run(t, "compare", "--suite", dir, "--seeds", "3,5", "--format", "json")
	require.NoError(t, err, out)
	assert.Contains(t, errOut, "running 2 scenarios x 2 seeds under capacity and wva-v1")
	var doc struct{ Rows []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	var got []string
	for _, r := range doc.Rows {
		got = append(got, fmt.Sprintf("%s/%v/%s", r["scenario"], r["seed"], r["analyzer"]))
	}
	assert.Equal(t, []string{"a-quick/3/capacity", "a-quick/3/wva-v1", "a-quick/5/capacity", "a-quick/5/wva-v1",
		"b-quick/3/capacity", "b-quick/3/wva-v1", "b-quick/5/capacity", "b-quick/5/wva-v1"}, got)
	assert.NotEqual(t, doc.Rows[0]["attainment"], doc.Rows[2]["attainment"], "another seed, other traffic")
	assert.Equal(t, doc.Rows[0]["gpuHours"], doc.Rows[4]["gpuHours"], "the same scenario and seed give the same run")

	out, _, err = run(t, "compare", "--suite", dir, "--seeds", "3,5")
	require.NoError(t, err)
	assert.Contains(t, out, "a-quick (seed 3)")
	assert.Regexp(t, `holds on \d of 4 runs`, out)

	for _, tc := range []struct{ args, want string }{
		{"--seeds 0", "--seeds: 0 is not a seed"},
		{"--seeds 3,3", "--seeds: 3 is listed twice"},
	} {
		_, _, err := run(t, append([]string{"compare", "--suite", dir}, strings.Fields(tc.args)...)...)
		require.Error(t, err, tc.args)
		assert.Equal(t, ExitInvalid, ExitCode(err))
		assert.Contains(t, err.Error(), tc.want)
	}
	_, _, err = run(t, "compare", filepath.Join(dir, "a-quick.yaml"), "--analyzer", "wva-v1", "--seeds", "3")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--seeds: only with --suite DIR")
}

// TestCompareSuiteRunsTheRest checks that a scenario that does not load is
// reported, with a non-zero exit, after the others ran.
func TestCompareSuiteRunsTheRest(t *testing.T) {
	dir := shortSuite(t)
	bad := filepath.Join(dir, "c-bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: saturn.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {bogus: 1}\n"), 0o644))
	out, _, err := run(t, "compare", "--suite", dir, "--format", "json")
	require.Error(t, err)
	assert.Equal(t, ExitInvalid, ExitCode(err))
	assert.Contains(t, err.Error(), "c-bad.yaml")
	assert.Contains(t, err.Error(), "bogus")
	var doc struct{ Rows []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Len(t, doc.Rows, 4, "the scenarios that load still run")

	// The limits flags apply to every file.
	_, _, err = run(t, "compare", "--suite", dir, "--max-requests", "100")
	require.Error(t, err)
	assert.Equal(t, ExitInvalid, ExitCode(err))
	assert.Contains(t, err.Error(), "a-quick.yaml")
	assert.Contains(t, err.Error(), "--max-requests")
}

func TestCompareSuiteFlagErrors(t *testing.T) {
	dir := shortSuite(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"files with --suite", []string{"compare", "--suite", dir, "quickstart"}, "--suite " + dir + ": takes no scenario files"},
		{"bad format", []string{"compare", "--suite", dir, "--format", "xml"}, `--format "xml": must be text, markdown, json`},
		{"markdown without --suite", []string{"compare", "quickstart", "--analyzer", "wva-v1", "--format", "markdown"}, `--format "markdown"`},
		{"--against without --suite", []string{"compare", "quickstart", "--against", "wva-v1"}, "--against \"wva-v1\": only with --suite"},
		{"bad analyzer", []string{"compare", "--suite", dir, "--analyzer", "hpa"}, `--analyzer "hpa": must be capacity or wva-v1`},
		{"bad against", []string{"compare", "--suite", dir, "--against", "v2"}, `--against "v2": must be capacity or wva-v1`},
		{"same analyzers", []string{"compare", "--suite", dir, "--against", "capacity"}, "--against capacity: same as --analyzer"},
		{"--out", []string{"compare", "--suite", dir, "--out", "x"}, "--out x: not supported with --suite"},
		{"missing folder", []string{"compare", "--suite", filepath.Join(dir, "nope")}, "--suite " + filepath.Join(dir, "nope")},
		{"empty folder", []string{"compare", "--suite", empty}, "--suite " + empty + ": no scenario files"},
		{"no arguments", []string{"compare"}, "or --suite DIR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.Error(t, err)
			assert.Equal(t, ExitInvalid, ExitCode(err))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDefaultAnalyzer(t *testing.T) {
	assert.Equal(t, "capacity", defaultAnalyzer())
}
