package tokenize

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCount(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"only spaces", " \t\n ", 0},
		{"short word", "cat", 1},
		{"four letters", "word", 1},
		{"five letters", "words", 2},
		{"eight letters", "abcdefgh", 2},
		{"nine letters", "abcdefghi", 3},
		{"sentence", "Hello, world!", 2 + 1 + 2 + 1},
		{"digits", "12345", 2},
		{"punctuation only", "...", 3},
		{"cjk", "你好", 2},
		{"emoji between words", "hi 🙂 there", 1 + 1 + 2},
		{"unicode space is free", "a\u00a0b", 2},
		{"invalid utf8 bytes", "a\xff\xfeb", 4},
		{"underscore splits", "snake_case", 2 + 1 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Count(tt.text))
		})
	}
}

func TestRenderedTokensCountOneEach(t *testing.T) {
	for seq := uint64(0); seq < 50; seq++ {
		var b strings.Builder
		for i := 0; i < 200; i++ {
			tok := Token(seq, i)
			require.Equal(t, 1, Count(tok), "token %q", tok)
			b.WriteString(tok)
		}
		require.Equal(t, 200, Count(b.String()))
		require.Equal(t, b.String(), string(appendAll(seq, 200)))
	}
}

func TestTokenIsDeterministicAndVaries(t *testing.T) {
	assert.Equal(t, Token(7, 3), Token(7, 3))
	distinct := map[string]bool{}
	for i := 0; i < 100; i++ {
		distinct[Token(7, i)] = true
	}
	assert.Greater(t, len(distinct), 20, "generated text should not repeat one word")
}

func appendAll(seq uint64, n int) []byte {
	var out []byte
	for i := 0; i < n; i++ {
		out = AppendToken(out, seq, i)
	}
	return out
}

func FuzzCount(f *testing.F) {
	for _, s := range []string{"", "hello world", "a\xffb", "你好, 世界", "x_y-z 123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Count(s)
		require.GreaterOrEqual(t, n, 0)
		require.LessOrEqual(t, n, len(s))
		if utf8.ValidString(s) {
			// Splitting on a space never changes the count.
			require.Equal(t, n, Count(s+" "))
		}
	})
}

func BenchmarkCount(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 100)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Count(text)
	}
}

func TestAppendHashesSplitsLikeCount(t *testing.T) {
	for _, s := range []string{"", "hello world", "abcdefghi, 你好!", "a\xffb  c", "snake_case 123456789"} {
		assert.Len(t, AppendHashes(nil, s), Count(s), "%q", s)
	}
	a := AppendHashes(nil, "The same system prompt. Then one question")
	b := AppendHashes(nil, "The same system prompt. Then another question")
	common := 0
	for common < min(len(a), len(b)) && a[common] == b[common] {
		common++
	}
	assert.Equal(t, Count("The same system prompt. Then "), common, "hashes agree exactly on the shared prefix")
	assert.Equal(t, AppendHashes(nil, "x y"), AppendHashes(nil, "x   y"), "whitespace is free")
}

func FuzzAppendHashes(f *testing.F) {
	for _, s := range []string{"", "hello world", "a\xffb", "你好, 世界"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Len(t, AppendHashes(nil, s), Count(s))
	})
}
