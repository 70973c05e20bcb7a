package route

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func picker(t *testing.T, policy string, w Weights) *Picker {
	t.Helper()
	p, err := NewPicker(policy, w)
	require.NoError(t, err)
	return p
}

func TestNewPickerRejectsUnknownPolicy(t *testing.T) {
	_, err := NewPicker("fastest", DefaultWeights)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"fastest"`)
	assert.Contains(t, err.Error(), KVQueueScorer)

	p := picker(t, "", DefaultWeights)
	assert.Equal(t, KVQueueScorer, p.Policy, "the default policy is the endpoint picker's")
}

func TestNothingRoutable(t *testing.T) {
	for _, policy := range Policies {
		p := picker(t, policy, DefaultWeights)
		assert.Equal(t, -1, p.Pick(nil), policy)
		assert.Equal(t, -1, p.Pick([]Candidate{{}, {}}), policy)
	}
}

func TestRoundRobinSkipsUnroutable(t *testing.T) {
	p := picker(t, RoundRobin, DefaultWeights)
	c := []Candidate{{Routable: true}, {Routable: false}, {Routable: true}}
	var got []int
	for range 4 {
		got = append(got, p.Pick(c))
	}
	assert.Equal(t, []int{0, 2, 0, 2}, got)
}

func TestLeastQueuePicksFewestInflightAndRotatesTies(t *testing.T) {
	p := picker(t, LeastQueue, DefaultWeights)
	c := []Candidate{{Routable: true, Inflight: 3}, {Routable: true, Inflight: 1}, {Routable: false}, {Routable: true, Inflight: 1}}
	assert.Equal(t, 1, p.Pick(c))
	assert.Equal(t, 1, p.Pick(c), "rotation starts at 1: the tie goes to 1")
	assert.Equal(t, 3, p.Pick(c), "rotation starts at 2: the tie goes to 3")
}

func TestScorerPrefersShortQueueAndFreeCache(t *testing.T) {
	p := picker(t, KVQueueScorer, DefaultWeights)
	c := []Candidate{
		{Routable: true, Waiting: 4, KVUsage: 0.2},
		{Routable: true, Waiting: 0, KVUsage: 0.9},
		{Routable: true, Waiting: 1, KVUsage: 0.1},
	}
	// scores: 0+0.8, 1+0.1, 0.75+0.9
	assert.Equal(t, 2, p.Pick(c))

	kvOnly := picker(t, KVQueueScorer, Weights{KVCache: 1})
	assert.Equal(t, 2, kvOnly.Pick(c))
	queueOnly := picker(t, KVQueueScorer, Weights{Queue: 1})
	assert.Equal(t, 1, queueOnly.Pick(c))
}

func TestScorerPrefixHitWinsWhenWeighted(t *testing.T) {
	c := []Candidate{
		{Routable: true, Waiting: 0, KVUsage: 0.1},
		{Routable: true, Waiting: 2, KVUsage: 0.5, PrefixHit: true},
	}
	assert.Equal(t, 0, picker(t, KVQueueScorer, DefaultWeights).Pick(c), "prefix weight 0 ignores hits")
	assert.Equal(t, 1, picker(t, KVQueueScorer, Weights{Queue: 1, KVCache: 1, PrefixCache: 3}).Pick(c))
}

func TestScorerIgnoresUnroutableInNormalisation(t *testing.T) {
	p := picker(t, KVQueueScorer, Weights{Queue: 1})
	c := []Candidate{{Routable: false, Waiting: 100}, {Routable: true, Waiting: 5}, {Routable: true, Waiting: 3}}
	assert.Equal(t, 2, p.Pick(c))
}

// Property: whatever the candidates, the pick is -1 exactly when nothing is
// routable, and otherwise a routable index.
func FuzzPick(f *testing.F) {
	f.Add(uint8(0), []byte{1, 0, 3, 1, 2, 200})
	f.Fuzz(func(t *testing.T, policy uint8, raw []byte) {
		p, err := NewPicker(Policies[int(policy)%len(Policies)], Weights{Queue: 1, KVCache: 0.5, PrefixCache: 2})
		require.NoError(t, err)
		var c []Candidate
		someRoutable := false
		for i := 0; i+2 < len(raw); i += 3 {
			r := raw[i]&1 == 1
			someRoutable = someRoutable || r
			c = append(c, Candidate{Routable: r, Inflight: int(raw[i+1]), Waiting: int(raw[i+1] >> 2), KVUsage: float64(raw[i+2]) / 255, PrefixHit: raw[i]&2 == 2})
		}
		for range 3 {
			i := p.Pick(c)
			if !someRoutable {
				require.Equal(t, -1, i)
				continue
			}
			require.GreaterOrEqual(t, i, 0)
			require.True(t, c[i].Routable)
		}
	})
}
