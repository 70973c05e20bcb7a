package load

import (
	"bytes"
	"encoding/json"
)

// chunk is the part of an OpenAI completion (or chat completion) body, or of one
// streamed event, that the replayer reads.
type chunk struct {
	Choices []struct {
		Text  string `json:"text"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error *apiError `json:"error"`
}

type apiError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
}

// hasContent reports whether the chunk carries generated text.
func (c *chunk) hasContent() bool {
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Text != "" || ch.Delta.Content != "" || ch.Message.Content != "" {
			return true
		}
	}
	return false
}

// sseKind classifies one line of a server-sent event stream.
type sseKind int

const (
	sseIgnore sseKind = iota // comment, blank line, other field
	sseData                  // a data payload
	sseDone                  // data: [DONE]
)

// parseSSELine returns the kind of line and, for data lines, its payload.
func parseSSELine(line []byte) (sseKind, []byte) {
	line = bytes.TrimRight(line, "\r\n")
	payload, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return sseIgnore, nil
	}
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 {
		return sseIgnore, nil
	}
	if bytes.Equal(payload, []byte("[DONE]")) {
		return sseDone, nil
	}
	return sseData, payload
}

// decodeChunk decodes one JSON body or event payload.
func decodeChunk(b []byte) (chunk, error) {
	var c chunk
	err := json.Unmarshal(b, &c)
	return c, err
}
