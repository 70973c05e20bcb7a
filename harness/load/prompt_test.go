package load

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

func TestPromptCountsExactlyNTokens(t *testing.T) {
	tests := []struct {
		name   string
		id     int64
		n      int
		group  string
		prefix int
	}{
		{"one token", 1, 1, "", 0},
		{"no prefix", 7, 300, "", 0},
		{"prefix", 8, 512, "system", 128},
		{"prefix longer than prompt", 9, 10, "system", 50},
		{"negative prefix", 10, 20, "system", -3},
		{"zero", 11, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Prompt(tt.id, tt.n, tt.group, tt.prefix)
			assert.Equal(t, tt.n, tokenize.Count(p))
		})
	}
}

func TestPromptSharesPrefixWithinGroupOnly(t *testing.T) {
	a := strings.Fields(Prompt(1, 100, "g", 40))
	b := strings.Fields(Prompt(2, 100, "g", 40))
	c := strings.Fields(Prompt(3, 100, "other", 40))
	require.Len(t, a, 100)
	assert.Equal(t, a[:40], b[:40], "same group shares its prefix")
	assert.NotEqual(t, a[40:], b[40:], "different requests differ after the prefix")
	assert.NotEqual(t, a[:40], c[:40], "different groups differ")
	assert.Equal(t, Prompt(5, 64, "", 0), Prompt(5, 64, "", 0), "deterministic")
}
