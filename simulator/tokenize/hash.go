package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// AppendHashes appends one hash per token of text, splitting it exactly as
// Count counts it (len of the appended hashes == Count(text)): a run of ASCII
// letters and digits is cut into pieces of CharsPerToken bytes, every other
// non-space character is one token. Equal texts give equal hash sequences, so
// servers can find shared prefixes (prefix caching) without a vocabulary.
func AppendHashes(dst []uint64, text string) []uint64 {
	start := -1 // start of the current ASCII alphanumeric run
	flush := func(end int) {
		for p := start; p < end; p += CharsPerToken {
			dst = append(dst, hashBytes(text[p:min(p+CharsPerToken, end)]))
		}
		start = -1
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if isASCIIAlnum(c) {
				if start < 0 {
					start = i
				}
				i++
				continue
			}
			if start >= 0 {
				flush(i)
			}
			if !isASCIISpace(c) {
				dst = append(dst, hashBytes(text[i:i+1]))
			}
			i++
			continue
		}
		if start >= 0 {
			flush(i)
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError || !unicode.IsSpace(r) {
			dst = append(dst, hashBytes(text[i:i+size]))
		}
		i += size
	}
	if start >= 0 {
		flush(len(text))
	}
	return dst
}

// HashID is the token hash of a token id (prompts given as ids).
func HashID(id int) uint64 {
	return mix(uint64(id) ^ 0x2545f4914f6cdd1d)
}

// hashBytes is FNV-1a over s, finalized with mix.
func hashBytes(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}
