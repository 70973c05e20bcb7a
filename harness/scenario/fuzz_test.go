package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLoadBytes checks the loader never panics and either returns a scenario that validates
// and generates requests, or an ErrorList of located, non-empty messages.
func FuzzLoadBytes(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "../../scenarios/*.yaml"} {
		files, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Add([]byte("apiVersion: saturn.dev/v1alpha1\nkind: Scenario\nspec: {variants: [{startup: {scheduling: {type: lognormal}}}]}"))
	f.Add([]byte("apiVersion: saturn.dev/v1alpha1\nkind: Scenario\n? [a]\n: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadBytes("fuzz.yaml", data)
		if err != nil {
			var list ErrorList
			require.True(t, errors.As(err, &list), "error is an ErrorList: %v", err)
			require.NotEmpty(t, list)
			require.LessOrEqual(t, len(list), maxErrors)
			for _, fe := range list {
				require.NotEmpty(t, fe.Msg)
				require.Equal(t, "fuzz.yaml", fe.File)
			}
			return
		}
		require.NoError(t, s.Validate())
		if s.Spec.Traffic.Trace != nil {
			return // the fuzzer does not create trace files
		}
		// A valid scenario generates well-formed requests (bounded: the first thousand).
		n := 0
		var last Request
		for r, err := range Requests(s, s.Spec.Seed) {
			require.NoError(t, err)
			require.GreaterOrEqual(t, r.Arrival, last.Arrival)
			require.Less(t, r.Arrival, s.Spec.Duration)
			require.GreaterOrEqual(t, r.PromptTokens, 1)
			require.GreaterOrEqual(t, r.OutputTokens, 1)
			require.LessOrEqual(t, r.PrefixTokens, r.PromptTokens)
			last = r
			if n++; n == 1000 {
				break
			}
		}
	})
}
