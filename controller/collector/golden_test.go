package collector

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/queries.golden")

// The query texts are part of saturn's contract (docs, explain, the twin): pin them.
func TestQueriesGolden(t *testing.T) {
	targets := []Target{
		{Namespace: "llm-d", ModelID: "Qwen/Qwen3-0.6B"},
		{Namespace: "prod", ModelID: "meta-llama/Llama-3.1-8B-Instruct"},
		{Namespace: "prod", ModelID: "Qwen/Qwen3-0.6B"},
	}
	var b strings.Builder
	for _, q := range Queries(targets, Options{}) {
		b.WriteString("# " + q.Name + "\n" + q.Expr + "\n\n")
	}
	const path = "testdata/queries.golden"
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./controller/collector -run TestQueriesGolden -update")
	require.Equal(t, string(want), b.String())
}

func TestPromDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", 90 * time.Second: "90s", 250 * time.Millisecond: "250ms",
		90 * time.Minute: "90m", 2 * time.Hour: "2h", time.Microsecond: "1ms",
	} {
		require.Equal(t, want, promDuration(d), d.String())
	}
}
