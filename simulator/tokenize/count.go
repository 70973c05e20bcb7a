package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// CharsPerToken is how many ASCII letters or digits of one word make one token.
const CharsPerToken = 4

// Chat template overheads, in tokens. Chat prompts are counted as the sum over
// messages of (MessageOverhead + Count(content)) plus ReplyPrimer, which stands
// for the role markers and the assistant header a chat template adds.
const (
	MessageOverhead = 4
	ReplyPrimer     = 3
)

// Count returns the number of tokens in text by this rule:
//
//   - whitespace is free (a BPE tokenizer folds a leading space into the next token);
//   - a run of ASCII letters and digits of n bytes counts ceil(n/4) tokens;
//   - every other character (ASCII punctuation and symbols, any non-ASCII
//     character such as CJK or emoji, and every byte of invalid UTF-8) counts 1.
//
// The empty string has 0 tokens.
func Count(text string) int {
	tokens := 0
	word := 0 // length of the current ASCII alphanumeric run
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			if isASCIIAlnum(c) {
				word++
				continue
			}
			tokens += wordTokens(word)
			word = 0
			if !isASCIISpace(c) {
				tokens++
			}
			continue
		}
		tokens += wordTokens(word)
		word = 0
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r != utf8.RuneError && unicode.IsSpace(r) {
			continue
		}
		tokens++
	}
	return tokens + wordTokens(word)
}

func wordTokens(n int) int {
	return (n + CharsPerToken - 1) / CharsPerToken
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isASCIISpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}
