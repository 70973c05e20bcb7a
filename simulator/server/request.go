package server

// CompletionRequest is the body of POST /v1/completions, as vLLM accepts it.
// Fields saturn-sim does not model (logprobs, stop, logit_bias, ...) are
// accepted and ignored, as vLLM ignores unknown fields.
type CompletionRequest struct {
	Model            string         `json:"model"`
	Prompt           Prompts        `json:"prompt"` // string, []string, []int or [][]int
	MaxTokens        *int           `json:"max_tokens"`
	MinTokens        *int           `json:"min_tokens"`
	N                *int           `json:"n"`
	Stream           bool           `json:"stream"`
	StreamOptions    *StreamOptions `json:"stream_options"`
	IgnoreEOS        bool           `json:"ignore_eos"`
	Echo             bool           `json:"echo"`
	Seed             *int64         `json:"seed"`
	Temperature      *float64       `json:"temperature"`
	TopP             *float64       `json:"top_p"`
	PresencePenalty  *float64       `json:"presence_penalty"`
	FrequencyPenalty *float64       `json:"frequency_penalty"`
}

// ChatRequest is the body of POST /v1/chat/completions.
type ChatRequest struct {
	Model               string         `json:"model"`
	Messages            ChatMessages   `json:"messages"`
	MaxTokens           *int           `json:"max_tokens"`
	MaxCompletionTokens *int           `json:"max_completion_tokens"`
	MinTokens           *int           `json:"min_tokens"`
	N                   *int           `json:"n"`
	Stream              bool           `json:"stream"`
	StreamOptions       *StreamOptions `json:"stream_options"`
	IgnoreEOS           bool           `json:"ignore_eos"`
	Seed                *int64         `json:"seed"`
	Temperature         *float64       `json:"temperature"`
	TopP                *float64       `json:"top_p"`
	PresencePenalty     *float64       `json:"presence_penalty"`
	FrequencyPenalty    *float64       `json:"frequency_penalty"`
}

// StreamOptions are the OpenAI stream options.
type StreamOptions struct {
	IncludeUsage         bool `json:"include_usage"`
	ContinuousUsageStats bool `json:"continuous_usage_stats"`
}

type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}
