package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// DecodeCompletion decodes a /v1/completions body. Errors are 400s naming the
// offending field where there is one.
func DecodeCompletion(body []byte) (*CompletionRequest, *APIError) {
	return limits{}.decodeCompletion(body)
}

// DecodeChat decodes a /v1/chat/completions body.
func DecodeChat(body []byte) (*ChatRequest, *APIError) {
	return limits{}.decodeChat(body)
}

// decodeCompletion decodes a completion body, counting prompts as it goes:
// the token ids of a prompt of maxModelLen tokens or more (which buildJob
// refuses) are counted, not kept. maxModelLen 0 keeps every prompt.
func (l limits) decodeCompletion(body []byte) (*CompletionRequest, *APIError) {
	req := CompletionRequest{Prompt: Prompts{limit: l.maxModelLen}}
	if apiErr := decodeJSON(body, &req); apiErr != nil {
		return nil, apiErr
	}
	return &req, nil
}

// decodeChat decodes a chat body, counting the prompt as it goes: once it
// reaches maxModelLen tokens the messages are checked and counted, not kept.
// maxModelLen 0 keeps every message.
func (l limits) decodeChat(body []byte) (*ChatRequest, *APIError) {
	req := ChatRequest{Messages: ChatMessages{limit: l.maxModelLen}}
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

// Prompts is the "prompt" of a completion request: a string, an array of
// strings, an array of token ids or an array of token id arrays. It is checked
// and counted as the body is decoded, and its errors are reported after the
// sampling parameters' (completionJob). The ids of a prompt as long as the
// model's context or longer are counted, not kept, so refusing it costs
// nothing beyond the body.
type Prompts struct {
	limit  int           // keep the ids of prompts shorter than this (0: all)
	inputs []promptInput // nil when absent or null
	err    *APIError
}

// UnmarshalJSON decodes the prompt; it never fails (see Prompts.err).
func (p *Prompts) UnmarshalJSON(data []byte) error {
	p.inputs, p.err = decodePrompt(data, p.limit)
	return nil
}

// promptInput is one prompt of a completion request: either text or token ids.
type promptInput struct {
	text     string
	isTokens bool
	tokens   int   // token ids: how many
	ids      []int // nil when tokens reached the decoding limit
	negative *int  // the first negative id
}

// decodePrompt accepts the four shapes vLLM accepts for "prompt".
func decodePrompt(raw []byte, limit int) ([]promptInput, *APIError) {
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
		return decodePromptArray(raw, limit)
	default:
		return nil, badRequest("prompt", "Field \"prompt\" must be a string, an array of strings, an array of token ids or an array of token id arrays.")
	}
}

func decodePromptArray(raw []byte, limit int) ([]promptInput, *APIError) {
	var first []byte
	for _, elem := range elements(raw) {
		first = elem
		break
	}
	if len(first) == 0 {
		return nil, badRequest("prompt", "Field \"prompt\" must not be empty.")
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
		var out []promptInput
		for _, elem := range elements(raw) {
			var in promptInput
			var err error
			switch elem[0] {
			case '[':
				in, err = decodeIDs(elem, limit)
			case 'n': // null, as encoding/json decodes it: no ids
				in = promptInput{isTokens: true}
			default:
				err = json.Unmarshal(elem, new([]int))
			}
			if err != nil {
				return nil, badRequest("prompt", "Field \"prompt\" must be an array of arrays of integer token ids: %v.", err)
			}
			out = append(out, in)
		}
		return out, nil
	default:
		in, err := decodeIDs(raw, limit)
		if err != nil {
			return nil, badRequest("prompt", "Field \"prompt\" must be an array of integer token ids: %v.", err)
		}
		return []promptInput{in}, nil
	}
}

// decodeIDs decodes a JSON array of token ids as encoding/json decodes it into
// []int (null is 0, anything but an integer that fits an int is an error). It
// counts them in one pass without allocating, and keeps them (a second pass)
// only if there are fewer than limit (limit 0: always).
func decodeIDs(arr []byte, limit int) (promptInput, error) {
	in := promptInput{isTokens: true}
	for _, elem := range elements(arr) {
		id, ok := parseID(elem)
		if !ok {
			if err := json.Unmarshal(elem, new(int)); err != nil {
				return promptInput{}, err
			}
			return decodeIDsSlowly(arr) // parseID refused what encoding/json accepts
		}
		if id < 0 && in.negative == nil {
			negative := id
			in.negative = &negative
		}
		in.tokens++
	}
	if limit > 0 && in.tokens >= limit {
		return in, nil
	}
	in.ids = make([]int, 0, in.tokens)
	for _, elem := range elements(arr) {
		id, _ := parseID(elem)
		in.ids = append(in.ids, id)
	}
	return in, nil
}

// decodeIDsSlowly is decodeIDs by encoding/json, keeping every id.
func decodeIDsSlowly(arr []byte) (promptInput, error) {
	var ids []int
	if err := json.Unmarshal(arr, &ids); err != nil {
		return promptInput{}, err
	}
	in := promptInput{isTokens: true, tokens: len(ids), ids: ids}
	for i := range ids {
		if ids[i] < 0 {
			in.negative = &ids[i]
			break
		}
	}
	return in, nil
}

// parseID parses a JSON integer that fits an int, or null (0).
func parseID(b []byte) (int, bool) {
	if string(b) == "null" {
		return 0, true
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	// 19 digits hold any int64; JSON has no leading zeros.
	if len(b) == 0 || len(b) > 19 || len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	switch {
	case neg && v <= math.MaxInt+1:
		return int(-int64(v)), true
	case !neg && v <= math.MaxInt:
		return int(v), true
	}
	return 0, false
}

// ChatMessages are the "messages" of a chat request. They are decoded one at
// a time and counted by the chat template rule (package tokenize) as they are
// decoded; their errors are reported after the sampling parameters' (chatJob).
// Once the prompt reaches the model's context length the messages are checked
// and counted, not kept, so refusing it costs nothing beyond the body.
type ChatMessages struct {
	limit  int        // keep the messages while the prompt is shorter (0: always)
	n      int        // messages in the request
	tokens int        // prompt tokens, the reply primer included
	turns  []chatTurn // the messages; nil once the prompt reached limit
	err    *APIError  // the first invalid message
}

type chatTurn struct {
	role, text string
}

// chatMessage is one message; Content is a string, null, or an array of
// content parts of which only {"type":"text","text":"..."} is supported.
type chatMessage struct {
	Role    string  `json:"role"`
	Content rawJSON `json:"content"`
	Name    string  `json:"name"`
}

// rawJSON is a JSON value as it appears in the body (not copied: it is valid
// while the body is).
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// UnmarshalJSON decodes and counts the messages. Its only errors are
// encoding/json's type errors; returning one ends decoding, so of a body with
// several type errors the one in the messages is reported.
func (m *ChatMessages) UnmarshalJSON(data []byte) error {
	*m = ChatMessages{limit: m.limit}
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) == 0 || data[0] != '[' {
		return json.Unmarshal(data, new([]chatMessage)) // the type error
	}
	m.tokens = tokenize.ReplyPrimer
	for i, elem := range elements(data) {
		msg, ok := decodeMessage(elem)
		if !ok {
			var slow chatMessage
			if err := json.Unmarshal(elem, &slow); err != nil {
				return err
			}
			msg = slow
		}
		m.n++
		if m.err != nil {
			continue // later messages are still checked for type errors
		}
		role, known := knownRole(msg.Role)
		if !known {
			m.err = badRequest(fmt.Sprintf("messages[%d].role", i), "Message %d has role %q; want one of system, developer, user, assistant, tool.", i, msg.Role)
			continue
		}
		text, apiErr := decodeContent(i, msg.Content)
		if apiErr != nil {
			m.err = apiErr
			continue
		}
		m.tokens += tokenize.MessageOverhead + tokenize.Count(text)
		if m.limit > 0 && m.tokens >= m.limit {
			m.turns = nil
			continue
		}
		m.turns = append(m.turns, chatTurn{role: role, text: text})
	}
	return nil
}

func knownRole(role string) (string, bool) {
	switch role {
	case "system", "developer", "user", "assistant", "tool":
		return role, true
	}
	return "", false
}

// decodeMessage decodes a message without allocating for its usual shape
// (string or null role and name, any content); ok is false for anything else,
// which encoding/json then decodes (or reports the type error of).
func decodeMessage(elem []byte) (msg chatMessage, ok bool) {
	if string(elem) == "null" {
		return msg, true
	}
	if len(elem) == 0 || elem[0] != '{' {
		return msg, false
	}
	for key, value := range members(elem) {
		k, ok := unquote(key, nil)
		if !ok {
			return msg, false
		}
		switch {
		case bytes.EqualFold(k, []byte("role")):
			if string(value) == "null" {
				continue
			}
			v, ok := unquote(value, nil)
			if !ok {
				return msg, false
			}
			msg.Role = roleString(v)
		case bytes.EqualFold(k, []byte("content")):
			msg.Content = value
		case bytes.EqualFold(k, []byte("name")):
			if string(value) != "null" && (len(value) == 0 || value[0] != '"') {
				return msg, false
			}
		}
	}
	return msg, true
}

// roleString is string(b), without allocating for the known roles.
func roleString(b []byte) string {
	switch string(b) {
	case "system":
		return "system"
	case "developer":
		return "developer"
	case "user":
		return "user"
	case "assistant":
		return "assistant"
	case "tool":
		return "tool"
	}
	return string(b)
}

// decodeContent returns the text of a chat message's content.
func decodeContent(i int, raw []byte) (string, *APIError) {
	param := func() string { return fmt.Sprintf("messages[%d].content", i) }
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	switch raw[0] {
	case '"':
		if s, ok := unquote(raw, nil); ok {
			return string(s), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequest(param(), "Field %q is not a valid JSON string: %v.", param(), err)
		}
		return s, nil
	case '[':
		return decodeParts(param, raw)
	default:
		return "", badRequest(param(), "Field %q must be a string, null or an array of content parts.", param())
	}
}

// decodeParts joins the texts of an array of content parts with newlines.
func decodeParts(param func() string, raw []byte) (string, *APIError) {
	var first []byte      // the first part's text
	var b strings.Builder // all parts' texts, when there are several
	badPart, badType := -1, ""
	for j, elem := range elements(raw) {
		typ, text, ok := decodePart(elem)
		if !ok {
			var p contentPart
			if err := json.Unmarshal(elem, &p); err != nil {
				return "", badRequest(param(), "Field %q must be an array of content parts: %v.", param(), err)
			}
			typ, text = []byte(p.Type), []byte(p.Text)
		}
		if badPart >= 0 {
			continue // later parts are still checked for type errors
		}
		if string(typ) != "text" {
			badPart, badType = j, string(typ)
			continue
		}
		if j == 0 {
			first = text
			continue
		}
		if j == 1 {
			b.Write(first)
		}
		b.WriteByte('\n')
		b.Write(text)
	}
	if badPart >= 0 {
		return "", badRequest(param(), "Content part %d of %q has type %q; this text-only model accepts only \"text\" parts.", badPart, param(), badType)
	}
	if b.Len() > 0 {
		return b.String(), nil
	}
	return string(first), nil
}

// decodePart decodes a content part whose type and text are strings or null;
// ok is false for anything else, which encoding/json then decodes (or reports
// the type error of).
func decodePart(elem []byte) (typ, text []byte, ok bool) {
	if string(elem) == "null" {
		return nil, nil, true
	}
	if len(elem) == 0 || elem[0] != '{' {
		return nil, nil, false
	}
	for key, value := range members(elem) {
		k, ok := unquote(key, nil)
		if !ok {
			return nil, nil, false
		}
		var field *[]byte
		switch {
		case bytes.EqualFold(k, []byte("type")):
			field = &typ
		case bytes.EqualFold(k, []byte("text")):
			field = &text
		default:
			continue
		}
		if string(value) == "null" {
			continue
		}
		v, ok := unquote(value, nil)
		if !ok {
			return nil, nil, false
		}
		*field = v
	}
	return typ, text, true
}
