package twin

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/route"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// scenariosDir is the repository's scenario library.
func scenariosDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..", "scenarios")
}

func loadScenario(t testing.TB, name string) *scenario.Scenario {
	sc, err := scenario.Load(filepath.Join(scenariosDir(t), name+".yaml"))
	require.NoError(t, err)
	return sc
}

func runScenario(t testing.TB, sc *scenario.Scenario) *record.Record {
	rec, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	return rec
}

func TestQuickstartSmoke(t *testing.T) {
	rec := runScenario(t, loadScenario(t, "quickstart"))
	sum := record.Summarize(rec)
	t.Logf("%+v", sum)
	require.NotEmpty(t, rec.Requests)
	require.Zero(t, sum.Requests.Lost)
}

// The twin's endpoint picker counts every request it receives, as llm-d's does: on the
// quickstart's 40 req/s plateau the counter's one-minute rate is the arrivals the records
// show over that minute.
func TestTwinCountsArrivalsAtTheGateway(t *testing.T) {
	sc := loadScenario(t, "quickstart")
	tw, err := newTwin(sc, Options{NoYardstick: true})
	require.NoError(t, err)
	defer tw.close()
	require.NoError(t, tw.loop(context.Background()))

	const from, to = 8 * time.Minute, 9 * time.Minute
	arrived := 0
	for _, r := range tw.rec.Requests {
		if r.Arrival > from && r.Arrival <= to {
			arrived++
		}
	}
	q := `sum by (namespace, target_model_name) (rate(` + route.RequestTotalMetric + `{model_name="` + sc.Spec.Model.Name + `"}[1m]))`
	v, err := tw.store.Query(context.Background(), q, at(to))
	require.NoError(t, err)
	require.Len(t, v, 1)
	assert.Equal(t, sc.Spec.Model.Name, string(v[0].Metric["target_model_name"]))
	assert.Equal(t, tw.namespace, string(v[0].Metric["namespace"]))
	assert.InEpsilon(t, float64(arrived)/60, float64(v[0].Value), 0.05, "%d arrived in the minute", arrived)
}

// The cycles read scrapes between 0 and one interval old, as against a Prometheus whose
// scrape offsets have nothing to do with the controller's ticker: the run's scrapes start
// at a phase of their own in (0, interval], half an interval on average over runs, the
// same for a seed. The quickstart (5 s scrapes, 15 s cycles) scrapes first at that phase.
func TestScrapePhase(t *testing.T) {
	const interval = 15 * time.Second
	var sum time.Duration
	phases := map[time.Duration]bool{}
	for seed := uint64(1); seed <= 2000; seed++ {
		p := scrapePhase(seed, interval)
		require.Positive(t, p)
		require.LessOrEqual(t, p, interval)
		require.Equal(t, p, scrapePhase(seed, interval), "one phase per seed")
		sum += p
		phases[p] = true
	}
	assert.InDelta(t, interval.Seconds()/2, (sum / 2000).Seconds(), 0.5, "half an interval on average")
	assert.Greater(t, len(phases), 1900, "a phase per run")

	sc := loadScenario(t, "quickstart")
	rec := runScenario(t, sc)
	require.NotEmpty(t, rec.Timeline)
	assert.Equal(t, scrapePhase(sc.Spec.Seed, sc.Spec.Prometheus.ScrapeInterval), rec.Timeline[0].Time, "the first scrape")
}
