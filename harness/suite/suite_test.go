package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apply "github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/harness/twin"
	"github.com/saturn-autoscaler/saturn/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/library.md")

// slowUnderRace lists library scenarios too long to run under the race
// detector; the Makefile runs TestLibraryTable without -race too.
var slowUnderRace = map[string]bool{"diurnal-24h": true}

// runTwin runs a scenario in the twin and applies its assertions, as
// `saturn compare --suite` does.
func runTwin(ctx context.Context, sc *scenario.Scenario) (record.Summary, error) {
	rec, err := twin.Run(ctx, sc, twin.Options{})
	if err != nil {
		return record.Summary{}, err
	}
	sum := record.Summarize(rec)
	apply.Apply(&sum, sc.Spec.Assertions, rec)
	return sum, nil
}

// TestLibraryTable runs the library under capacity and wva-v1 and compares
// the markdown table with testdata/library.md. Under -race the slow
// scenarios are left out and the other rows are compared with their golden
// lines.
func TestLibraryTable(t *testing.T) {
	if raceEnabled {
		// Under the race detector the library runs in TestGolden (harness/twin);
		// this table runs in the Makefile's non-race step.
		t.Skip("the library table takes minutes under -race (every scenario under two analyzers); make test runs it in its second step, without -race: go test -run 'TestLibraryTable|TestHeldOutTable' ./harness/suite")
	}
	var entries []Entry
	skipped := map[string]bool{}
	for _, name := range scenarios.Names() {
		if raceEnabled && slowUnderRace[name] {
			skipped[name] = true
			continue
		}
		sc, err := scenarios.Load(name)
		require.NoError(t, err)
		entries = append(entries, Entry{Name: name, Scenario: sc})
	}
	rows, err := Run(context.Background(), entries, scenario.AnalyzerCapacity, scenario.AnalyzerWVAv1, runtime.GOMAXPROCS(0), runTwin)
	require.NoError(t, err)
	require.Len(t, rows, 2*len(entries))
	requireBracketed(t, rows)
	var got bytes.Buffer
	require.NoError(t, Markdown(&got, rows))
	path := filepath.Join("testdata", "library.md")
	if *update {
		require.Empty(t, skipped, "regenerate without -race: the golden holds every scenario")
		require.NoError(t, os.WriteFile(path, got.Bytes(), 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden table: run go test ./harness/suite -run TestLibraryTable -update")
	var want strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if !skipped[scenarioCell(line)] {
			want.WriteString(line)
		}
	}
	require.Equal(t, want.String(), got.String(), "the library table changed; if intended, regenerate with -update (without -race)")
}

// requireBracketed fails unless every run has a floor and a plan, comes in
// at or above the floor (a provable lower bound), and the plan (itself a run)
// does too.
func requireBracketed(t *testing.T, rows []Row) {
	t.Helper()
	for _, r := range rows {
		require.Positive(t, r.FloorGPUHours, "%s under %s has no floor", r.Scenario, r.Analyzer)
		require.GreaterOrEqual(t, r.GPUHours, r.FloorGPUHours, "%s under %s spends fewer GPU-hours than its floor", r.Scenario, r.Analyzer)
		require.Positive(t, r.PlanGPUHours, "%s has no plan", r.Scenario)
		require.GreaterOrEqual(t, r.PlanGPUHours, r.FloorGPUHours, "%s: the plan is a run, never under the floor", r.Scenario)
	}
}

// scenarioCell is the first cell of a markdown table line.
func scenarioCell(line string) string {
	cells := strings.Split(line, "|")
	if len(cells) < 2 {
		return ""
	}
	return strings.TrimSpace(cells[1])
}

func TestDominance(t *testing.T) {
	row := func(analyzer string, attainment, gpuHours float64) Row {
		return Row{Analyzer: analyzer, Attainment: attainment, GPUHours: gpuHours}
	}
	for _, tc := range []struct {
		name string
		a, b Row
		want string
	}{
		{"a better on both", row("capacity", 0.99, 1), row("wva-v1", 0.9, 2), "capacity"},
		{"b better on both", row("capacity", 0.9, 2), row("wva-v1", 0.99, 1), "wva-v1"},
		{"a as good for less", row("capacity", 0.95, 1), row("wva-v1", 0.95, 2), "capacity"},
		{"b as cheap and better", row("capacity", 0.9, 1), row("wva-v1", 0.95, 1), "wva-v1"},
		{"equal", row("capacity", 0.95, 1), row("wva-v1", 0.95, 1), Tie},
		{"a better for more", row("capacity", 0.99, 2), row("wva-v1", 0.9, 1), Neither},
		{"b better for more", row("capacity", 0.9, 1), row("wva-v1", 0.99, 2), Neither},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Dominance(tc.a, tc.b))
		})
	}
}

func TestClaim(t *testing.T) {
	// The plan spends 2 GPU-hours and reaches 99%.
	row := func(analyzer string, attainment, gpuHours float64) Row {
		return Row{Analyzer: analyzer, Attainment: attainment, GPUHours: gpuHours, PlanGPUHours: 2, PlanAttainment: 0.99}
	}
	for _, tc := range []struct {
		name string
		a, b Row
		want string
	}{
		{"dominates within the bound", row("capacity", 0.97, 2.5), row("wva-v1", 0.95, 2.6), ClaimHolds},
		{"ties within the bound", row("capacity", 0.97, 2.5), row("wva-v1", 0.97, 2.5), ClaimHolds},
		{"dominates past the bound", row("capacity", 0.97, 2.8), row("wva-v1", 0.95, 3), "short: 1.40x plan"},
		{"b misses the plan, a reaches it for more", row("capacity", 0.99, 2.4), row("wva-v1", 0.9, 1.5), ClaimHolds},
		{"b misses the plan, so does a", row("capacity", 0.95, 2.4), row("wva-v1", 0.9, 1.5), "short: 95.00% < plan 99.00%"},
		{"b reaches the plan for less", row("capacity", 0.995, 2.4), row("wva-v1", 0.99, 2.2), "short: does not dominate wva-v1"},
		{"everything short", row("capacity", 0.95, 3), row("wva-v1", 0.9, 2), "short: 1.50x plan, 95.00% < plan 99.00%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Claim(tc.a, tc.b))
		})
	}
	assert.Equal(t, NotApplicable, Claim(Row{Analyzer: "capacity", Attainment: 1, GPUHours: 1}, Row{Analyzer: "wva-v1"}), "no plan")
}

func TestClaimSummary(t *testing.T) {
	rows := []Row{
		{Scenario: "a", Analyzer: "capacity", Claim: ClaimHolds}, {Scenario: "a", Analyzer: "wva-v1"},
		{Scenario: "b", Analyzer: "capacity", Claim: "short: 1.40x plan"}, {Scenario: "b", Analyzer: "wva-v1"},
		{Scenario: "c", Analyzer: "capacity", Claim: NotApplicable}, {Scenario: "c", Analyzer: "wva-v1"},
		{Scenario: "d", Analyzer: "capacity", Claim: ClaimHolds}, {Scenario: "d", Analyzer: "wva-v1"},
	}
	assert.Equal(t, "capacity: the claim (dominates wva-v1, or reaches the plan's attainment where wva-v1 misses it, at most 1.3x the plan's GPU-hours) holds on 2 of 3 scenarios; short on b", ClaimSummary(rows))
	assert.Empty(t, ClaimSummary(rows[1:2]), "no claims, no summary")
}

func TestClaimSummaryOverSeeds(t *testing.T) {
	rows := []Row{
		{Scenario: "a", Seed: 1, Analyzer: "capacity", Claim: ClaimHolds}, {Scenario: "a", Seed: 1, Analyzer: "wva-v1"},
		{Scenario: "a", Seed: 2, Analyzer: "capacity", Claim: "short: 1.40x plan"}, {Scenario: "a", Seed: 2, Analyzer: "wva-v1"},
		{Scenario: "b", Seed: 1, Analyzer: "capacity", Claim: "short: 1.50x plan"}, {Scenario: "b", Seed: 1, Analyzer: "wva-v1"},
		{Scenario: "b", Seed: 2, Analyzer: "capacity", Claim: "short: 1.60x plan"}, {Scenario: "b", Seed: 2, Analyzer: "wva-v1"},
		{Scenario: "c", Seed: 1, Analyzer: "capacity", Claim: ClaimHolds}, {Scenario: "c", Seed: 1, Analyzer: "wva-v1"},
	}
	assert.Equal(t, "capacity: the claim (dominates wva-v1, or reaches the plan's attainment where wva-v1 misses it, at most 1.3x the plan's GPU-hours) holds on 2 of 5 runs; short on a (1 of 2 seeds), b (2 of 2 seeds)", ClaimSummary(rows))
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, rows[:2]))
	assert.Contains(t, b.String(), "| a (seed 1) | capacity |", "the seed labels the row")
}

// WithSeeds runs every entry once per seed on a copy of its scenario.
func TestWithSeeds(t *testing.T) {
	a := &scenario.Scenario{Metadata: scenario.Metadata{Name: "a"}}
	a.Spec.Seed = 7
	b := &scenario.Scenario{Metadata: scenario.Metadata{Name: "b"}}
	entries := []Entry{{Name: "a", Scenario: a}, {Name: "b", Scenario: b}}
	assert.Equal(t, entries, WithSeeds(entries, nil), "no seeds: the entries as they are")

	got := WithSeeds(entries, []uint64{11, 22})
	require.Len(t, got, 4)
	var labels []string
	for _, e := range got {
		labels = append(labels, fmt.Sprintf("%s/%d/%d", e.Name, e.Seed, e.Scenario.Spec.Seed))
	}
	assert.Equal(t, []string{"a/11/11", "a/22/22", "b/11/11", "b/22/22"}, labels)
	assert.Equal(t, uint64(7), a.Spec.Seed, "the entries' scenarios are not modified")
	assert.NotSame(t, got[0].Scenario, got[1].Scenario)
}

func summary(attainment, gpuHours float64, floor *record.Floor, plan *record.Plan) record.Summary {
	return record.Summary{
		Requests: record.RequestSummary{SLOAttainment: attainment},
		TTFT:     record.Percentiles{P99: 1.5},
		GPUHours: gpuHours,
		Floor:    floor,
		Plan:     plan,
		Variants: []record.VariantSummary{{Reversals: 2}, {Reversals: 3}},
		Assertions: []record.AssertionResult{
			{Name: "one", Pass: true}, {Name: "two", Pass: false}, {Name: "three", Pass: true},
		},
		TimeToPlanSeconds: 95,
	}
}

func TestRowOf(t *testing.T) {
	sum := summary(0.97, 4, &record.Floor{GPUHours: 2}, &record.Plan{GPUHours: 3, Attainment: 0.99})
	assert.Equal(t, Row{
		Scenario: "spike", Analyzer: "capacity", Attainment: 0.97, GPUHours: 4, FloorGPUHours: 2,
		PlanGPUHours: 3, PlanAttainment: 0.99, P99TTFTSeconds: 1.5, Flaps: 5,
		AssertionsPassed: 2, AssertionsTotal: 3, TimeToPlanSeconds: 95,
	}, RowOf("spike", "capacity", &sum))

	bare := summary(0.5, 1, nil, nil)
	r := RowOf("x", "wva-v1", &bare)
	assert.Zero(t, r.FloorGPUHours)
	assert.Zero(t, r.PlanGPUHours)
	assert.Zero(t, r.PlanAttainment)
}

// sampleRows are a scenario with a floor and a plan and one without either.
func sampleRows() []Row {
	return []Row{
		{Scenario: "spike", Analyzer: "capacity", Attainment: 0.9876, GPUHours: 4.5, FloorGPUHours: 1.5,
			PlanGPUHours: 3, PlanAttainment: 0.999, P99TTFTSeconds: 2.25, Flaps: 1, AssertionsPassed: 8,
			AssertionsTotal: 8, Dominates: "capacity", Claim: "short: 1.50x plan", TimeToPlanSeconds: 75},
		{Scenario: "spike", Analyzer: "wva-v1", Attainment: 0.9, GPUHours: 6, FloorGPUHours: 1.5,
			PlanGPUHours: 3, PlanAttainment: 0.999, P99TTFTSeconds: 0.25, Flaps: 0, AssertionsPassed: 7,
			AssertionsTotal: 8, Dominates: "capacity", TimeToPlanSeconds: -1},
		{Scenario: "bare", Analyzer: "capacity", Attainment: 1, GPUHours: 1, Dominates: NotApplicable, Claim: NotApplicable},
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, sampleRows()))
	assert.Equal(t, `| scenario | analyzer | SLO attainment | p99 TTFT | GPU-h | x floor | x plan (plan attainment) | time to plan | flaps | assertions | dominates | claim |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
| spike | capacity | 98.76% | 2.25s | 4.500 | 3.00x | 1.50x (99.90%) | 1m15s | 1 | 8/8 | capacity | short: 1.50x plan |
| spike | wva-v1 | 90.00% | 250ms | 6.000 | 4.00x | 2.00x (99.90%) | never | 0 | 7/8 | capacity |  |
| bare | capacity | 100.00% | 0ms | 1.000 | n/a | n/a | n/a | 0 | 0/0 | n/a | n/a |
`, b.String())
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Write(&b, "text", sampleRows()))
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	require.Len(t, lines, 5)
	assert.Regexp(t, `^scenario +analyzer +SLO attainment +p99 TTFT +GPU-h +x floor +x plan \(plan attainment\) +time to plan +flaps +assertions +dominates +claim`, lines[0])
	assert.Regexp(t, `^spike +capacity +98\.76% .* +capacity +short: 1\.50x plan$`, lines[1], "no padding after the last column")
	assert.Regexp(t, `^spike +wva-v1 +90\.00% +250ms +6\.000 +4\.00x +2\.00x \(99\.90%\) +never +0 +7/8 +capacity`, lines[2])
	assert.Equal(t, "capacity: the claim (dominates wva-v1, or reaches the plan's attainment where wva-v1 misses it, at most 1.3x the plan's GPU-hours) holds on 0 of 1 scenarios; short on spike", lines[4])
	col := strings.Index(lines[0], "GPU-h")
	for _, l := range lines[1:4] {
		assert.Equal(t, col, strings.Index(l, strings.Fields(l)[4]), "columns aligned: %q", l)
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Write(&b, "json", sampleRows()))
	var doc map[string][]map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	require.Len(t, doc, 1)
	require.Len(t, doc["rows"], 3)
	keys := make([]string, 0)
	for k := range doc["rows"][0] {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"scenario", "analyzer", "attainment", "gpuHours", "floorGPUHours", "planGPUHours",
		"planAttainment", "p99TTFTSeconds", "flaps", "assertionsPassed", "assertionsTotal", "dominates", "claim"}, keys)
	assert.Equal(t, 0.9876, doc["rows"][0]["attainment"], "a fraction, not a percentage")
	assert.Equal(t, 0.0, doc["rows"][2]["planGPUHours"], "0 without a plan")

	b.Reset()
	require.NoError(t, JSON(&b, nil))
	assert.JSONEq(t, `{"rows": []}`, b.String())

	require.ErrorContains(t, Write(&b, "csv", nil), `"csv"`)
}

// TestRunOrderAndFailures runs fake scenarios that finish in reverse order,
// one of which fails under one analyzer.
func TestRunOrderAndFailures(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	var entries []Entry
	for _, n := range names {
		sc := &scenario.Scenario{Metadata: scenario.Metadata{Name: n}}
		sc.Spec.Autoscaler.Analyzer = "own"
		entries = append(entries, Entry{Name: n, Scenario: sc})
	}
	run := func(ctx context.Context, sc *scenario.Scenario) (record.Summary, error) {
		i := strings.Index("abcde", sc.Metadata.Name)
		time.Sleep(time.Duration(len(names)-i) * 5 * time.Millisecond)
		if sc.Metadata.Name == "c" && sc.Spec.Autoscaler.Analyzer == "B" {
			return record.Summary{}, errors.New("boom")
		}
		gpu := 2.0
		if sc.Spec.Autoscaler.Analyzer == "A" {
			gpu = 1
		}
		return summary(0.9, gpu, nil, nil), nil
	}
	for _, workers := range []int{0, 1, 3, 8} {
		rows, err := Run(context.Background(), entries, "A", "B", workers, run)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "scenario c under B: boom")
		var got []string
		for _, r := range rows {
			got = append(got, r.Scenario+"/"+r.Analyzer+"/"+r.Dominates+"/"+r.Claim)
		}
		// The runs have no plan: the claim is not applicable, and it sits on A's row.
		assert.Equal(t, []string{"a/A/A/n/a", "a/B/A/", "b/A/A/n/a", "b/B/A/", "c/A/n/a/n/a", "d/A/A/n/a", "d/B/A/", "e/A/A/n/a", "e/B/A/"}, got, "workers %d", workers)
	}
	for _, e := range entries {
		assert.Equal(t, "own", e.Scenario.Spec.Autoscaler.Analyzer, "the entries' scenarios are not modified")
	}
}
