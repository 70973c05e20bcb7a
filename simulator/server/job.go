package server

import (
	"hash/fnv"
	"math"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// MaxN is the largest number of choices per prompt a request may ask for.
const MaxN = 128

// MeanOutputTokens is the mean output length, in tokens, of a request that
// does not pin its length with ignore_eos: the end-of-sequence token is drawn
// with probability 1/MeanOutputTokens after each token.
const MeanOutputTokens = 256

// job is a validated generation request: one or more sequences sharing the
// request's sampling parameters.
type job struct {
	chat         bool
	model        string
	stream       bool
	includeUsage bool
	continuous   bool // stream_options.continuous_usage_stats
	maxTokens    int  // the request's max_tokens, 0 when not given
	n            int  // choices per prompt
	seqs         []sequence
}

// sequence is one choice of a job.
type sequence struct {
	index        int // choice index: prompt*n + sample
	promptTokens int
	outputTokens int    // exactly this many tokens are generated
	finishReason string // "length" or "stop"
	prefixGroup  string
	prefixTokens int
	textSeed     uint64 // seeds the generated text
}

// limits are the server settings a request is validated against.
type limits struct {
	maxModelLen int
	seed        int64
	prefix      *prefixIndex // nil: no prefix groups
}

type sampling struct {
	maxTokens, minTokens, n             *int
	seed                                *int64
	temperature, topP, presence, freqPn *float64
	stream                              bool
	streamOptions                       *StreamOptions
	ignoreEOS                           bool
	maxTokensParam                      string
}

func (s sampling) validate() *APIError {
	if s.maxTokens != nil && *s.maxTokens < 1 {
		return badRequest(s.maxTokensParam, "%s must be at least 1, got %d.", s.maxTokensParam, *s.maxTokens)
	}
	if s.minTokens != nil {
		if *s.minTokens < 0 {
			return badRequest("min_tokens", "min_tokens must be greater than or equal to 0, got %d.", *s.minTokens)
		}
		if s.maxTokens != nil && *s.minTokens > *s.maxTokens {
			return badRequest("min_tokens", "min_tokens must be less than or equal to %s=%d, got %d.", s.maxTokensParam, *s.maxTokens, *s.minTokens)
		}
	}
	if s.n != nil && (*s.n < 1 || *s.n > MaxN) {
		return badRequest("n", "n must be between 1 and %d, got %d.", MaxN, *s.n)
	}
	if s.temperature != nil && (*s.temperature < 0 || math.IsNaN(*s.temperature)) {
		return badRequest("temperature", "temperature must be non-negative, got %v.", *s.temperature)
	}
	if s.topP != nil && (!(*s.topP > 0) || *s.topP > 1) {
		return badRequest("top_p", "top_p must be in (0, 1], got %v.", *s.topP)
	}
	if s.presence != nil && !(*s.presence >= -2 && *s.presence <= 2) {
		return badRequest("presence_penalty", "presence_penalty must be in [-2, 2], got %v.", *s.presence)
	}
	if s.freqPn != nil && !(*s.freqPn >= -2 && *s.freqPn <= 2) {
		return badRequest("frequency_penalty", "frequency_penalty must be in [-2, 2], got %v.", *s.freqPn)
	}
	if s.streamOptions != nil && !s.stream {
		return badRequest("stream_options", "Stream options can only be defined when `stream=True`.")
	}
	return nil
}

// prompt is a counted prompt ready to become sequences.
type prompt struct {
	tokens       int
	hash         uint64
	prefixGroup  string
	prefixTokens int
}

func (l limits) buildJob(chat bool, model string, s sampling, prompts []prompt) (*job, *APIError) {
	n := 1
	if s.n != nil {
		n = *s.n
	}
	j := &job{chat: chat, model: model, stream: s.stream, n: n}
	if s.streamOptions != nil {
		j.includeUsage = s.streamOptions.IncludeUsage
		j.continuous = s.streamOptions.ContinuousUsageStats
	}
	if s.maxTokens != nil {
		j.maxTokens = *s.maxTokens
	}
	minTokens := 0
	if s.minTokens != nil {
		minTokens = *s.minTokens
	}
	j.seqs = make([]sequence, 0, len(prompts)*n)
	for pi, p := range prompts {
		if p.tokens >= l.maxModelLen {
			return nil, badRequest("prompt", "This model's maximum context length is %d tokens. However, your request has %d input tokens. Please reduce the length of the input.", l.maxModelLen, p.tokens)
		}
		limit := l.maxModelLen - p.tokens
		if s.maxTokens != nil {
			if p.tokens+*s.maxTokens > l.maxModelLen {
				return nil, badRequest(s.maxTokensParam, "This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.", l.maxModelLen, p.tokens+*s.maxTokens, p.tokens, *s.maxTokens)
			}
			limit = *s.maxTokens
		}
		for k := 0; k < n; k++ {
			seed := l.sequenceSeed(s.seed, p.hash, pi, k, limit)
			out, reason := limit, "length"
			if !s.ignoreEOS {
				out, reason = drawOutputLength(seed, max(minTokens, 1), limit)
			}
			j.seqs = append(j.seqs, sequence{
				index:        pi*n + k,
				promptTokens: p.tokens,
				outputTokens: out,
				finishReason: reason,
				prefixGroup:  p.prefixGroup,
				prefixTokens: p.prefixTokens,
				textSeed:     seed,
			})
		}
	}
	return j, nil
}

func (l limits) sequenceSeed(reqSeed *int64, promptHash uint64, promptIndex, sample, limit int) uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) {
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		_, _ = h.Write(b[:])
	}
	put(uint64(l.seed))
	if reqSeed != nil {
		put(uint64(*reqSeed))
	}
	put(promptHash)
	put(uint64(promptIndex))
	put(uint64(sample))
	put(uint64(limit))
	return h.Sum64()
}

// drawOutputLength draws a geometric output length with mean MeanOutputTokens
// (the end-of-sequence token ends generation with probability
// 1/MeanOutputTokens after each token), at least minTokens, capped at limit.
// It reports "stop" when the end-of-sequence token ended the sequence and
// "length" when the limit did.
func drawOutputLength(seed uint64, minTokens, limit int) (int, string) {
	if minTokens >= limit {
		return limit, "length"
	}
	// Uniform in (0, 1) from the top 53 bits of a mixed seed.
	u := (float64(splitmix(seed)>>11) + 0.5) / (1 << 53)
	p := 1.0 / MeanOutputTokens
	drawn := 1 + math.Floor(math.Log(u)/math.Log1p(-p))
	if drawn >= float64(limit) {
		return limit, "length"
	}
	return max(int(drawn), minTokens), "stop"
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func hashText(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}

func hashIDs(ids []int) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, id := range ids {
		v := uint64(id)
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		_, _ = h.Write(b[:])
	}
	return h.Sum64()
}

// completionJob validates a completion request.
func (l limits) completionJob(req *CompletionRequest, model string) (*job, *APIError) {
	s := sampling{
		maxTokens: req.MaxTokens, minTokens: req.MinTokens, n: req.N, seed: req.Seed,
		temperature: req.Temperature, topP: req.TopP, presence: req.PresencePenalty, freqPn: req.FrequencyPenalty,
		stream: req.Stream, streamOptions: req.StreamOptions, ignoreEOS: req.IgnoreEOS, maxTokensParam: "max_tokens",
	}
	if req.Echo {
		return nil, badRequest("echo", "echo is not supported by saturn-sim; remove it or set it to false.")
	}
	if apiErr := s.validate(); apiErr != nil {
		return nil, apiErr
	}
	inputs, apiErr := req.Prompt.inputs, req.Prompt.err
	if apiErr == nil && inputs == nil {
		apiErr = badRequest("prompt", "Field \"prompt\" is required.")
	}
	if apiErr != nil {
		return nil, apiErr
	}
	prompts := make([]prompt, len(inputs))
	for i, in := range inputs {
		if in.isTokens {
			if in.tokens == 0 {
				return nil, badRequest("prompt", "Prompt %d is an empty list of token ids.", i)
			}
			if in.negative != nil {
				return nil, badRequest("prompt", "Token id %d in prompt %d is out of vocabulary.", *in.negative, i)
			}
			prompts[i] = prompt{tokens: in.tokens}
			if in.tokens >= l.maxModelLen {
				continue // buildJob refuses it (its ids were not kept)
			}
			prompts[i].hash = hashIDs(in.ids)
			if l.prefix != nil {
				hashes := make([]uint64, len(in.ids))
				for k, id := range in.ids {
					hashes[k] = tokenize.HashID(id)
				}
				prompts[i].prefixGroup, prompts[i].prefixTokens = l.prefix.assign(hashes)
			}
			continue
		}
		tokens := tokenize.Count(in.text)
		if tokens == 0 {
			return nil, badRequest("prompt", "Prompt %d is empty; it must contain at least one token.", i)
		}
		prompts[i] = prompt{tokens: tokens}
		if tokens >= l.maxModelLen {
			continue // buildJob refuses it: do not hash it
		}
		prompts[i].hash = hashText(in.text)
		if l.prefix != nil {
			prompts[i].prefixGroup, prompts[i].prefixTokens = l.prefix.assign(tokenize.AppendHashes(make([]uint64, 0, tokens), in.text))
		}
	}
	return l.buildJob(false, model, s, prompts)
}

// chatJob validates a chat request. Prompt tokens are counted with the chat
// template rule of package tokenize; with prefix caching, requests sharing
// leading messages (a system prompt, a conversation so far) share their KV
// blocks.
func (l limits) chatJob(req *ChatRequest, model string) (*job, *APIError) {
	maxTokens, param := req.MaxCompletionTokens, "max_completion_tokens"
	if maxTokens == nil {
		maxTokens, param = req.MaxTokens, "max_tokens"
	}
	s := sampling{
		maxTokens: maxTokens, minTokens: req.MinTokens, n: req.N, seed: req.Seed,
		temperature: req.Temperature, topP: req.TopP, presence: req.PresencePenalty, freqPn: req.FrequencyPenalty,
		stream: req.Stream, streamOptions: req.StreamOptions, ignoreEOS: req.IgnoreEOS, maxTokensParam: param,
	}
	if apiErr := s.validate(); apiErr != nil {
		return nil, apiErr
	}
	if req.Messages.n == 0 {
		return nil, badRequest("messages", "Field \"messages\" must contain at least one message.")
	}
	if req.Messages.err != nil {
		return nil, req.Messages.err
	}
	p := prompt{tokens: req.Messages.tokens}
	if p.tokens >= l.maxModelLen {
		return l.buildJob(true, model, s, []prompt{p}) // refused (its messages were not kept)
	}
	h := fnv.New64a()
	var hashes []uint64 // the prompt's token hashes, for prefix groups
	for _, m := range req.Messages.turns {
		_, _ = h.Write([]byte(m.role))
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(m.text))
		_, _ = h.Write([]byte{0})
		if l.prefix != nil {
			hashes = appendTemplateTokens(hashes, m.role, tokenize.MessageOverhead)
			hashes = tokenize.AppendHashes(hashes, m.text)
		}
	}
	if l.prefix != nil {
		hashes = appendTemplateTokens(hashes, "assistant-header", tokenize.ReplyPrimer)
		p.prefixGroup, p.prefixTokens = l.prefix.assign(hashes)
		p.prefixTokens = min(p.prefixTokens, p.tokens) // len(hashes) == p.tokens; never declare more
	}
	p.hash = h.Sum64()
	return l.buildJob(true, model, s, []prompt{p})
}

// appendTemplateTokens appends the hashes of n chat-template tokens (role
// markers, the assistant header) standing for marker.
func appendTemplateTokens(dst []uint64, marker string, n int) []uint64 {
	base := hashText("template", marker)
	for k := 0; k < n; k++ {
		dst = append(dst, splitmix(base+uint64(k)))
	}
	return dst
}
