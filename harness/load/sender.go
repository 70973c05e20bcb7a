package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// ReplicaHeader names the response header a server may set to the pod that served the
// request (saturn-sim sets it to its pod name when it knows it).
const ReplicaHeader = "X-Saturn-Replica"

// errReplayEnded is the cause of the context of requests cut off by the end of a replay.
var errReplayEnded = errors.New("replay ended before the response completed")

// Sender sends one request and reports what it observed. start is the replay's start
// instant; req.Arrival counts from it.
type Sender interface {
	Send(ctx context.Context, req scenario.Request, start time.Time) Result
}

// HTTPSender sends OpenAI requests over HTTP and measures them with its clock.
type HTTPSender struct {
	opts   Options
	client *http.Client
	clock  clock.PassiveClock
}

// NewHTTPSender returns a sender for validated options. client nil means a client
// tuned for many concurrent connections to one host.
func NewHTTPSender(opts Options, client *http.Client, clk clock.PassiveClock) *HTTPSender {
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 4096
		tr.MaxIdleConnsPerHost = 4096
		tr.MaxConnsPerHost = 0
		client = &http.Client{Transport: tr}
	}
	return &HTTPSender{opts: opts, client: client, clock: clk}
}

// body builds the request body. ignore_eos and min_tokens (vLLM extensions, honoured by
// saturn-sim) make the server generate exactly OutputTokens tokens.
func (s *HTTPSender) body(req scenario.Request) ([]byte, error) {
	m := map[string]any{
		"model":      s.opts.Model,
		"max_tokens": req.OutputTokens,
		"min_tokens": req.OutputTokens,
		"ignore_eos": true,
		"stream":     req.Stream,
	}
	if req.Stream {
		m["stream_options"] = map[string]any{"include_usage": true}
	}
	if s.opts.API == APIChat {
		// The chat template adds tokens around the message; keep the total at PromptTokens.
		n := max(1, req.PromptTokens-tokenize.MessageOverhead-tokenize.ReplyPrimer)
		m["messages"] = []map[string]string{{"role": "user", "content": Prompt(req.ID, n, req.PrefixGroup, req.PrefixTokens)}}
	} else {
		m["prompt"] = Prompt(req.ID, req.PromptTokens, req.PrefixGroup, req.PrefixTokens)
	}
	return json.Marshal(m)
}

// Send implements Sender.
func (s *HTTPSender) Send(ctx context.Context, req scenario.Request, start time.Time) Result {
	res := Result{
		ID: req.ID, Class: req.Class, Phase: req.Phase, Stream: req.Stream,
		Arrival: req.Arrival, PromptTokens: req.PromptTokens,
	}
	ctx, cancel := context.WithDeadline(ctx, start.Add(req.Arrival+s.opts.RequestTimeout))
	defer cancel()
	body, err := s.body(req)
	if err != nil {
		return s.fail(res, start, 0, fmt.Errorf("encoding request: %w", err))
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.endpoint(), bytes.NewReader(body))
	if err != nil {
		return s.fail(res, start, 0, fmt.Errorf("building request: %w", err))
	}
	hreq.Header.Set("Content-Type", "application/json")
	if req.Stream {
		hreq.Header.Set("Accept", "text/event-stream")
	}
	if s.opts.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+s.opts.APIKey)
	}
	res.Sent = s.clock.Since(start)
	resp, err := s.client.Do(hreq)
	if err != nil {
		return s.fail(res, start, 0, s.cause(ctx, err))
	}
	defer func() { _ = resp.Body.Close() }()
	res.Code = resp.StatusCode
	res.Replica = resp.Header.Get(ReplicaHeader)
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return s.fail(res, start, resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, errorMessage(msg)))
	}
	if req.Stream {
		return s.readStream(ctx, res, start, resp.Body)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return s.fail(res, start, resp.StatusCode, s.cause(ctx, fmt.Errorf("reading response: %w", err)))
	}
	c, err := decodeChunk(raw)
	if err != nil {
		return s.fail(res, start, resp.StatusCode, fmt.Errorf("decoding response: %w", err))
	}
	if c.Error != nil {
		return s.fail(res, start, resp.StatusCode, fmt.Errorf("server error: %s", c.Error.Message))
	}
	res.Finish = s.clock.Since(start)
	if c.Usage != nil {
		res.PromptTokens, res.OutputTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
	}
	res.Status = record.StatusOK
	return res
}

// readStream consumes server-sent events, timing the first content chunk and the gaps
// between content chunks.
func (s *HTTPSender) readStream(ctx context.Context, res Result, start time.Time, body io.Reader) Result {
	br := bufio.NewReaderSize(body, 16<<10)
	var last time.Duration
	chunks := 0
	done := false
	for !done {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			kind, payload := parseSSELine(line)
			switch kind {
			case sseDone:
				done = true
			case sseData:
				now := s.clock.Since(start)
				c, derr := decodeChunk(payload)
				if derr != nil {
					return s.fail(res, start, res.Code, fmt.Errorf("decoding stream event: %w", derr))
				}
				if c.Error != nil {
					return s.fail(res, start, res.Code, fmt.Errorf("server error in stream: %s", c.Error.Message))
				}
				if c.hasContent() {
					chunks++
					if res.FirstToken == 0 {
						res.FirstToken = max(now, 1)
					} else if gap := now - last; gap > res.MaxITL {
						res.MaxITL = gap
					}
					last = now
				}
				if c.Usage != nil {
					res.PromptTokens, res.OutputTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return s.fail(res, start, res.Code, s.cause(ctx, fmt.Errorf("reading stream: %w", err)))
		}
	}
	if !done {
		return s.fail(res, start, res.Code, errors.New("stream ended without data: [DONE]"))
	}
	res.Finish = s.clock.Since(start)
	if res.OutputTokens == 0 {
		res.OutputTokens = chunks
	}
	res.Status = record.StatusOK
	return res
}

// cause turns a transport error into the reason recorded: the replay ending is "lost",
// the request deadline is a timeout.
func (s *HTTPSender) cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); errors.Is(c, errReplayEnded) {
		return errReplayEnded
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s from the scheduled arrival", s.opts.RequestTimeout)
	}
	return err
}

func (s *HTTPSender) fail(res Result, start time.Time, code int, err error) Result {
	res.Code = code
	res.Status = record.StatusError
	if errors.Is(err, errReplayEnded) {
		res.Status = record.StatusLost
	}
	res.Error = err.Error()
	if res.Sent == 0 {
		res.Sent = s.clock.Since(start)
	}
	return res
}

// errorMessage extracts the OpenAI error message of a body, or returns a prefix of it.
func errorMessage(body []byte) string {
	var e struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != nil && e.Error.Message != "" {
		return e.Error.Message
	}
	const limit = 200
	body = bytes.TrimSpace(body)
	if len(body) > limit {
		body = body[:limit]
	}
	return string(body)
}
