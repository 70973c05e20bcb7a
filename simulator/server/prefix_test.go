package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

func seq(from, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = tokenize.HashID(from + i)
	}
	return out
}

func concat(parts ...[]uint64) []uint64 {
	var out []uint64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestPrefixIndex(t *testing.T) {
	x := newPrefixIndex(4, 100)
	system := seq(0, 10) // two full blocks and a half

	g1, n1 := x.assign(concat(system, seq(100, 7))) // 17 tokens: 4 blocks
	assert.NotEmpty(t, g1)
	assert.Equal(t, 16, n1, "the first prompt of a group declares all its full blocks")

	g2, n2 := x.assign(concat(system, seq(200, 7)))
	assert.Equal(t, g1, g2, "same first block, same group")
	assert.Equal(t, 8, n2, "only the two blocks equal to the canonical chain are shared")

	g3, n3 := x.assign(seq(500, 12))
	assert.NotEqual(t, g1, g3, "a different first block is a different group")
	assert.Equal(t, 12, n3)

	// A conversation continuing the canonical prompt extends the chain.
	_, n4 := x.assign(concat(system, seq(100, 7), seq(300, 8)))
	assert.Equal(t, 24, n4)
	_, n5 := x.assign(concat(system, seq(100, 7), seq(300, 8), seq(400, 3)))
	assert.Equal(t, 28, n5, "the next turn shares the extended chain and extends it again")

	g6, n6 := x.assign(seq(0, 3))
	assert.Empty(t, g6, "no full block, nothing to share")
	assert.Zero(t, n6)

	var nilIndex *prefixIndex
	g7, n7 := nilIndex.assign(system)
	assert.Empty(t, g7)
	assert.Zero(t, n7)
}

func TestPrefixIndexEvicts(t *testing.T) {
	x := newPrefixIndex(2, 6) // remembers 6 blocks: three 2-block chains
	for i := 0; i < 10; i++ {
		x.assign(seq(i*10, 4))
	}
	assert.Len(t, x.chains, 3)
	assert.Len(t, x.order, 3)
	assert.Equal(t, 6, x.total)
	_, n := x.assign(seq(90, 4))
	assert.Equal(t, 4, n, "the newest chain is remembered")
	g, _ := x.assign(seq(0, 4))
	assert.NotEmpty(t, g)
	assert.LessOrEqual(t, x.total, 6)

	// A single chain larger than the bound is kept (it is the newest).
	big := newPrefixIndex(2, 3)
	big.assign(seq(0, 20))
	assert.Equal(t, 10, big.total)
	big.assign(seq(100, 4))
	assert.Equal(t, 2, big.total, "the old big chain goes when a new one comes")
}

func TestChatPrefixGroups(t *testing.T) {
	l := limits{maxModelLen: 8192, seed: 1, prefix: newPrefixIndex(16, 100)}
	system := strings.Repeat("You are a careful assistant that answers briefly. ", 8)
	mk := func(question string) *ChatRequest {
		req, apiErr := DecodeChat([]byte(`{"messages":[{"role":"system","content":"` + system + `"},{"role":"user","content":"` + question + `"}],"max_tokens":4}`))
		require.Nil(t, apiErr)
		return req
	}
	a, apiErr := l.chatJob(mk("What is the capital of France?"), "m")
	require.Nil(t, apiErr)
	b, apiErr := l.chatJob(mk("How tall is Mount Everest?"), "m")
	require.Nil(t, apiErr)

	sa, sb := a.seqs[0], b.seqs[0]
	assert.Equal(t, sa.prefixGroup, sb.prefixGroup)
	assert.Equal(t, sa.promptTokens/16*16, sa.prefixTokens, "the first prompt declares all its full blocks")
	systemTokens := tokenize.MessageOverhead + tokenize.Count(system)
	// The user message starts with the same 4 template tokens in both.
	assert.Equal(t, (systemTokens+tokenize.MessageOverhead)/16*16, sb.prefixTokens, "the second shares the blocks of the common messages")

	// Without an index nothing is declared.
	plain := limits{maxModelLen: 8192, seed: 1}
	c, apiErr := plain.chatJob(mk("x"), "m")
	require.Nil(t, apiErr)
	assert.Empty(t, c.seqs[0].prefixGroup)
}

func TestCompletionPrefixGroupsFromTokenIDs(t *testing.T) {
	l := limits{maxModelLen: 8192, seed: 1, prefix: newPrefixIndex(16, 100)}
	ids := func(tail int) string {
		var b strings.Builder
		for i := 0; i < 40; i++ {
			fmt.Fprintf(&b, "%d,", i)
		}
		fmt.Fprintf(&b, "%d", tail)
		return b.String()
	}
	mk := func(tail, n int) *job {
		req, apiErr := DecodeCompletion([]byte(fmt.Sprintf(`{"prompt":[%s],"max_tokens":4,"n":%d}`, ids(tail), n)))
		require.Nil(t, apiErr)
		j, apiErr := l.completionJob(req, "m")
		require.Nil(t, apiErr)
		return j
	}
	first := mk(1000, 3)
	for _, s := range first.seqs {
		assert.Equal(t, 32, s.prefixTokens, "the n samples share the prompt's full blocks")
		assert.Equal(t, first.seqs[0].prefixGroup, s.prefixGroup)
	}
	second := mk(2000, 1)
	assert.Equal(t, first.seqs[0].prefixGroup, second.seqs[0].prefixGroup)
	assert.Equal(t, 32, second.seqs[0].prefixTokens, "41 tokens, the first 40 equal: two full blocks shared")
}
