package tokenize

// words is the synthetic vocabulary of generated tokens. Every word is 1 to 4
// ASCII letters, so each rendered token (" " + word) counts exactly one token
// by Count, and the text of n generated tokens counts n tokens.
var words = [...]string{
	"the", "of", "and", "to", "in", "is", "that", "for", "it", "as",
	"was", "with", "be", "by", "on", "not", "he", "this", "are", "or",
	"his", "from", "at", "an", "but", "have", "one", "had", "they", "you",
	"were", "all", "we", "can", "her", "has", "been", "if", "more",
	"when", "will", "what", "so", "no", "who", "may", "some", "only", "time",
	"into", "then", "its", "than", "new", "also", "two", "like", "use", "them",
	"way", "part", "most", "made", "over", "such", "many", "any", "work", "each",
}

// Token returns the text of generated token number index of the sequence
// identified by seq (any stable number, e.g. a hash of the request). The text
// starts with a space and counts as exactly one token by Count.
func Token(seq uint64, index int) string {
	h := mix(seq ^ uint64(index)*0x9e3779b97f4a7c15)
	return " " + words[h%uint64(len(words))]
}

// AppendToken appends the text of Token(seq, index) to dst without allocating
// a string.
func AppendToken(dst []byte, seq uint64, index int) []byte {
	h := mix(seq ^ uint64(index)*0x9e3779b97f4a7c15)
	dst = append(dst, ' ')
	return append(dst, words[h%uint64(len(words))]...)
}

// mix is the splitmix64 finalizer: a cheap, well-distributed bijection.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
