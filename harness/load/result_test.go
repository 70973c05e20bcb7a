package load

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/record"
)

func TestResultsRoundTripThroughJobLog(t *testing.T) {
	in := []Result{
		{ID: 1, Class: "chat", Phase: "spike", Stream: true, Status: record.StatusOK, Code: 200,
			Arrival: 1500 * time.Millisecond, Sent: 1501 * time.Millisecond, FirstToken: 1700 * time.Millisecond,
			Finish: 3 * time.Second, PromptTokens: 512, OutputTokens: 64, MaxITL: 40 * time.Millisecond, Replica: "sim-abc"},
		{ID: 2, Status: record.StatusError, Code: 429, Error: "HTTP 429: too many", Arrival: 2 * time.Second, Sent: 2 * time.Second},
		{ID: 3, Status: record.StatusLost, Error: errReplayEnded.Error(), Arrival: 4 * time.Second, Sent: 4 * time.Second},
	}
	var log strings.Builder
	log.WriteString(`{"time":"2026-11-26T21:00:00Z","level":"INFO","msg":"replay started"}` + "\n")
	for i := range in {
		log.Write(EncodeResult(nil, &in[i]))
		log.WriteString("\n") // blank lines are tolerated
	}
	log.WriteString("plain text from stderr\n")
	out, err := DecodeResults(strings.NewReader(log.String()))
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

func TestDecodeResultsReportsTheBadLine(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"broken json", "\n{\"t\":\"saturn.request\",\"id\":\n", "line 2"},
		{"unknown status", `{"t":"saturn.request","id":1,"status":"maybe"}`, `unknown status "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeResults(strings.NewReader(tt.input))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestResultRecordComputesMeanITL(t *testing.T) {
	r := Result{ID: 4, Status: record.StatusOK, Arrival: time.Second, FirstToken: 2 * time.Second,
		Finish: 3 * time.Second, OutputTokens: 11, PromptTokens: 100}
	rec := r.Record()
	assert.Equal(t, 100*time.Millisecond, rec.MeanITL)
	assert.Equal(t, time.Second, rec.TTFT())
	assert.Equal(t, 2*time.Second, rec.E2E())
	assert.Equal(t, int32(11), rec.OutputTokens)

	failed := Result{ID: 5, Status: record.StatusError, OutputTokens: 3, FirstToken: time.Second, Finish: 2 * time.Second}
	assert.Zero(t, failed.Record().MeanITL, "no mean ITL for a failed request")
}

func FuzzDecodeResults(f *testing.F) {
	r := Result{ID: 9, Status: record.StatusOK, Arrival: time.Second, Finish: 2 * time.Second}
	f.Add(string(EncodeResult(nil, &r)))
	f.Add(`{"t":"saturn.request","status":"ok","id":"x"}`)
	f.Add("{\"t\":\"saturn.request\"\n\n{}")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := DecodeResults(strings.NewReader(s))
		if err == nil {
			// Whatever decodes re-encodes and decodes to the same results.
			var buf []byte
			for i := range out {
				buf = EncodeResult(buf, &out[i])
			}
			again, err := DecodeResults(strings.NewReader(string(buf)))
			require.NoError(t, err)
			require.Len(t, again, len(out))
		}
	})
}

func TestParseSSELine(t *testing.T) {
	tests := []struct {
		line    string
		kind    sseKind
		payload string
	}{
		{"data: {\"a\":1}\n", sseData, `{"a":1}`},
		{"data:{\"a\":1}\r\n", sseData, `{"a":1}`},
		{"data: [DONE]\n", sseDone, ""},
		{": keep-alive\n", sseIgnore, ""},
		{"event: message\n", sseIgnore, ""},
		{"\n", sseIgnore, ""},
		{"data: \n", sseIgnore, ""},
	}
	for _, tt := range tests {
		kind, payload := parseSSELine([]byte(tt.line))
		assert.Equal(t, tt.kind, kind, tt.line)
		assert.Equal(t, tt.payload, string(payload), tt.line)
	}
}

func TestParseStart(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	got, ok := ParseStart(EncodeStart(nil, at))
	require.True(t, ok)
	assert.True(t, at.Equal(got))
	r := Result{ID: 1, Status: record.StatusOK}
	for _, line := range []string{"", "replay starting", string(EncodeResult(nil, &r)), `{"t":"saturn.start"`, `{"t":"saturn.start","unix_ns":0}`, `{"t":"other","unix_ns":5} "saturn.start"`} {
		_, ok := ParseStart([]byte(line))
		assert.False(t, ok, line)
	}
}
