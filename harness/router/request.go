package router

import (
	"encoding/json"
	"hash/fnv"
)

// prefixBytes is how much of a prompt identifies its prefix group: about the
// first few KV-cache blocks, where shared system prompts and conversation
// histories sit.
const prefixBytes = 256

// requestInfo is what the router reads of an OpenAI request body.
type requestInfo struct {
	Model string
	// Prefix hashes the start of the prompt (0: none).
	Prefix uint64
}

type openAIBody struct {
	Model    string          `json:"model"`
	Prompt   json.RawMessage `json:"prompt"`
	Messages []struct {
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// parseRequest reads the model and the prompt's prefix of a completion or chat
// body. A body that is not a JSON object yields an empty info: the pod answers
// it with vLLM's own error.
func parseRequest(body []byte) requestInfo {
	var b openAIBody
	if len(body) == 0 || json.Unmarshal(body, &b) != nil {
		return requestInfo{}
	}
	h := fnv.New64a()
	n := 0
	feed := func(raw json.RawMessage) {
		if n >= prefixBytes || len(raw) == 0 {
			return
		}
		take := raw[:min(len(raw), prefixBytes-n)]
		_, _ = h.Write(take)
		n += len(take)
	}
	feed(b.Prompt)
	for _, m := range b.Messages {
		feed(m.Content)
	}
	info := requestInfo{Model: b.Model}
	if n > 0 {
		info.Prefix = h.Sum64()
	}
	return info
}
