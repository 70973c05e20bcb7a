package server

import (
	"strconv"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// Response bodies are built by appending to a byte slice. The shapes follow
// vLLM's OpenAI server field for field (including its null extensions such as
// stop_reason), so clients written against vLLM decode them unchanged.

type usage struct {
	prompt, completion int
	// cached > 0 writes prompt_tokens_details: the prompt tokens served from
	// the prefix cache. It is set only with --enable-prompt-tokens-details.
	cached int
}

func appendUsage(dst []byte, u usage) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = appendInt(dst, u.prompt)
	dst = append(dst, `,"total_tokens":`...)
	dst = appendInt(dst, u.prompt+u.completion)
	dst = append(dst, `,"completion_tokens":`...)
	dst = appendInt(dst, u.completion)
	if u.cached > 0 {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = appendInt(dst, u.cached)
		return append(dst, `}}`...)
	}
	return append(dst, `,"prompt_tokens_details":null}`...)
}

// header is the common head of every completion object.
type header struct {
	id      string
	object  string
	created int64
	model   string
}

func appendHeader(dst []byte, h header) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, h.id)
	dst = append(dst, `,"object":`...)
	dst = appendString(dst, h.object)
	dst = append(dst, `,"created":`...)
	dst = strconv.AppendInt(dst, h.created, 10)
	dst = append(dst, `,"model":`...)
	return appendString(dst, h.model)
}

func appendFinish(dst []byte, reason string) []byte {
	dst = append(dst, `,"finish_reason":`...)
	if reason == "" {
		return append(dst, `null,"stop_reason":null`...)
	}
	dst = appendString(dst, reason)
	return append(dst, `,"stop_reason":null`...)
}

// choiceText is one finished choice: its text is the tokens generated
// tokens of the sequence seeded by seed.
type choiceText struct {
	index  int
	seed   uint64
	tokens int
	reason string
}

// appendGenerated appends the generated text as a JSON string. Generated
// tokens are ASCII letters and spaces, so nothing needs escaping.
func appendGenerated(dst []byte, c choiceText) []byte {
	dst = append(dst, '"')
	for k := 0; k < c.tokens; k++ {
		dst = tokenize.AppendToken(dst, c.seed, k)
	}
	return append(dst, '"')
}

func appendCompletion(dst []byte, h header, choices []choiceText, u usage) []byte {
	dst = appendHeader(dst, h)
	dst = append(dst, `,"choices":[`...)
	for i, c := range choices {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = appendInt(dst, c.index)
		dst = append(dst, `,"text":`...)
		dst = appendGenerated(dst, c)
		dst = append(dst, `,"logprobs":null`...)
		dst = appendFinish(dst, c.reason)
		dst = append(dst, `,"prompt_logprobs":null}`...)
	}
	dst = append(dst, `],"usage":`...)
	dst = appendUsage(dst, u)
	return append(dst, `,"kv_transfer_params":null}`...)
}

func appendChatCompletion(dst []byte, h header, choices []choiceText, u usage) []byte {
	dst = appendHeader(dst, h)
	dst = append(dst, `,"choices":[`...)
	for i, c := range choices {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = appendInt(dst, c.index)
		dst = append(dst, `,"message":{"role":"assistant","content":`...)
		dst = appendGenerated(dst, c)
		dst = append(dst, `,"refusal":null,"tool_calls":[]},"logprobs":null`...)
		dst = appendFinish(dst, c.reason)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"usage":`...)
	dst = appendUsage(dst, u)
	return append(dst, `,"prompt_logprobs":null,"kv_transfer_params":null}`...)
}

// chunk is one streamed choice delta.
type chunk struct {
	index  int
	role   bool   // chat: the opening delta carrying the assistant role
	text   []byte // new text
	reason string // set on the last chunk of a choice
}

// appendChunk appends one SSE event ("data: {...}\n\n") for c. usageOut, when
// non-nil, is included as the chunk's usage (continuous usage stats); when
// includeUsage is set and usageOut is nil, "usage":null is written as vLLM does.
func appendChunk(dst []byte, h header, chat bool, c chunk, includeUsage bool, usageOut *usage) []byte {
	dst = append(dst, "data: "...)
	dst = appendHeader(dst, h)
	dst = append(dst, `,"choices":[{"index":`...)
	dst = appendInt(dst, c.index)
	if chat {
		dst = append(dst, `,"delta":{`...)
		if c.role {
			dst = append(dst, `"role":"assistant","content":""`...)
		} else if c.text != nil {
			dst = append(dst, `"content":`...)
			dst = appendGeneratedText(dst, c.text)
		}
		dst = append(dst, `},"logprobs":null`...)
	} else {
		dst = append(dst, `,"text":`...)
		dst = appendGeneratedText(dst, c.text)
		dst = append(dst, `,"logprobs":null`...)
	}
	dst = appendFinish(dst, c.reason)
	dst = append(dst, "}]"...)
	switch {
	case usageOut != nil:
		dst = append(dst, `,"usage":`...)
		dst = appendUsage(dst, *usageOut)
	case includeUsage:
		dst = append(dst, `,"usage":null`...)
	}
	return append(dst, "}\n\n"...)
}

// appendUsageChunk appends the final usage-only chunk of a stream that asked
// for stream_options.include_usage.
func appendUsageChunk(dst []byte, h header, u usage) []byte {
	dst = append(dst, "data: "...)
	dst = appendHeader(dst, h)
	dst = append(dst, `,"choices":[],"usage":`...)
	dst = appendUsage(dst, u)
	return append(dst, "}\n\n"...)
}

func appendErrorEvent(dst []byte, e *APIError) []byte {
	dst = append(dst, "data: "...)
	dst = appendError(dst, e)
	return append(dst, "\n\n"...)
}

const doneEvent = "data: [DONE]\n\n"

// appendGeneratedText appends generated text (ASCII letters and spaces, from
// package tokenize) as a JSON string.
func appendGeneratedText(dst, text []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, text...)
	return append(dst, '"')
}
