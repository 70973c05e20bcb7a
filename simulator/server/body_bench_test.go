package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkOverlongPromptRefusal measures refusing a 15.8 MB body of 2.3
// million token ids (issue 19): bytes and time per refusal.
func BenchmarkOverlongPromptRefusal(b *testing.B) {
	ts := newInstantServer(b, func(c *Config) { c.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes; c.PrefixBlockSize = 16 })
	h := ts.srv.Handler()
	body := overlongIDsBody(15_800_000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/completions", bytes.NewReader(body)))
		if rec.Code != http.StatusBadRequest {
			b.Fatalf("status %d: %.300s", rec.Code, rec.Body.Bytes())
		}
	}
}
