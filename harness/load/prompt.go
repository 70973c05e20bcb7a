package load

import (
	"hash/fnv"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// Prompt returns a synthetic prompt of exactly n tokens by saturn-sim's counting rule
// (tokenize.Count). Its first prefixTokens tokens depend only on prefixGroup, so the
// requests of one group share a prefix a prefix cache can hit; the rest depend on id, so
// different requests differ. A real tokenizer counts the text differently; the length
// is close enough to exercise a real server.
func Prompt(id int64, n int, prefixGroup string, prefixTokens int) string {
	if n <= 0 {
		return ""
	}
	if prefixGroup == "" || prefixTokens < 0 {
		prefixTokens = 0
	}
	prefixTokens = min(prefixTokens, n)
	buf := make([]byte, 0, n*5)
	groupSeq := hashString(prefixGroup)
	for i := range prefixTokens {
		buf = tokenize.AppendToken(buf, groupSeq, i)
	}
	ownSeq := uint64(id)*0x9e3779b97f4a7c15 ^ 0x5a7
	for i := prefixTokens; i < n; i++ {
		buf = tokenize.AppendToken(buf, ownSeq, i)
	}
	return string(buf[1:]) // drop the leading space of the first token
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
