package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeCompletion decodes a /v1/completions body. Errors are 400s naming the
// offending field where there is one.
func DecodeCompletion(body []byte) (*CompletionRequest, *APIError) {
	var req CompletionRequest
	if apiErr := decodeJSON(body, &req); apiErr != nil {
		return nil, apiErr
	}
	return &req, nil
}

// DecodeChat decodes a /v1/chat/completions body.
func DecodeChat(body []byte) (*ChatRequest, *APIError) {
	var req ChatRequest
	if apiErr := decodeJSON(body, &req); apiErr != nil {
		return nil, apiErr
	}
	return &req, nil
}

func decodeJSON(body []byte, v any) *APIError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return badRequest("", "The request body is empty; expected a JSON object.")
	}
	if trimmed[0] != '{' {
		return badRequest("", "The request body must be a JSON object.")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) && strings.Contains(syntaxErr.Error(), "after top-level value") {
			return badRequest("", "The request body has data after the JSON object.")
		}
		return jsonError(err)
	}
	return nil
}

func jsonError(err error) *APIError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return badRequest(field, "Invalid type for field %q: got JSON %s, want %s.", field, typeErr.Value, goTypeName(typeErr.Type.String()))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return badRequest("", "Malformed JSON at byte %d: %v.", syntaxErr.Offset, syntaxErr)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("", "Malformed JSON: unexpected end of the request body.")
	}
	return badRequest("", "Malformed JSON: %v.", err)
}

func goTypeName(t string) string {
	t = strings.TrimPrefix(t, "*")
	switch t {
	case "int", "int64":
		return "integer"
	case "float64":
		return "number"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	}
	if strings.HasPrefix(t, "[]") {
		return "array"
	}
	return "object"
}

// promptInput is one prompt of a completion request: either text or token ids.
type promptInput struct {
	text     string
	ids      []int
	isTokens bool
}

// decodePrompt accepts the four shapes vLLM accepts for "prompt".
func decodePrompt(raw json.RawMessage) ([]promptInput, *APIError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, badRequest("prompt", "Field \"prompt\" is required.")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("prompt", "Field \"prompt\" is not a valid JSON string: %v.", err)
		}
		return []promptInput{{text: s}}, nil
	case '[':
		return decodePromptArray(raw)
	default:
		return nil, badRequest("prompt", "Field \"prompt\" must be a string, an array of strings, an array of token ids or an array of token id arrays.")
	}
}

func decodePromptArray(raw json.RawMessage) ([]promptInput, *APIError) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, badRequest("prompt", "Field \"prompt\" is not a valid JSON array: %v.", err)
	}
	if len(items) == 0 {
		return nil, badRequest("prompt", "Field \"prompt\" must not be empty.")
	}
	first := bytes.TrimSpace(items[0])
	if len(first) == 0 {
		return nil, badRequest("prompt", "Field \"prompt\" has an empty element.")
	}
	switch first[0] {
	case '"':
		var ss []string
		if err := json.Unmarshal(raw, &ss); err != nil {
			return nil, badRequest("prompt", "Field \"prompt\" mixes strings with other values.")
		}
		out := make([]promptInput, len(ss))
		for i, s := range ss {
			out[i] = promptInput{text: s}
		}
		return out, nil
	case '[':
		var lists [][]int
		if err := json.Unmarshal(raw, &lists); err != nil {
			return nil, badRequest("prompt", "Field \"prompt\" must be an array of arrays of integer token ids: %v.", err)
		}
		out := make([]promptInput, len(lists))
		for i, ids := range lists {
			out[i] = promptInput{ids: ids, isTokens: true}
		}
		return out, nil
	default:
		var ids []int
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, badRequest("prompt", "Field \"prompt\" must be an array of integer token ids: %v.", err)
		}
		return []promptInput{{ids: ids, isTokens: true}}, nil
	}
}

// decodeContent returns the text of a chat message's content.
func decodeContent(i int, raw json.RawMessage) (string, *APIError) {
	param := fmt.Sprintf("messages[%d].content", i)
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequest(param, "Field %q is not a valid JSON string: %v.", param, err)
		}
		return s, nil
	case '[':
		var parts []contentPart
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", badRequest(param, "Field %q must be an array of content parts: %v.", param, err)
		}
		var b strings.Builder
		for j, p := range parts {
			if p.Type != "text" {
				return "", badRequest(param, "Content part %d of %q has type %q; this text-only model accepts only \"text\" parts.", j, param, p.Type)
			}
			if j > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p.Text)
		}
		return b.String(), nil
	default:
		return "", badRequest(param, "Field %q must be a string, null or an array of content parts.", param)
	}
}
