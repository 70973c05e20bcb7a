package router

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzHandler sends arbitrary requests through the router to a live pod: every
// one gets an answer with a valid status, and nothing panics.
func FuzzHandler(f *testing.F) {
	f.Add("POST", "/v1/completions", []byte(`{"model":"`+testModel+`","prompt":"hi"}`))
	f.Add("GET", "/v1/models", []byte(nil))
	f.Add("POST", "/v1/chat/completions", []byte(`{"model":"other"}`))
	f.Add("DELETE", "/metrics", []byte(`{`))
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if !validMethod(method) || len(path) == 0 || path[0] != '/' {
			return
		}
		req, err := http.NewRequest(method, "http://router"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		r, _, _ := testRouter(t, func(o *Options) { o.MaxRequestBodyBytes = 1 << 10 })
		r.SetEndpoints([]string{newBackend(t, "a").addr()})
		w := httptest.NewRecorder()
		r.Handler(http.NotFoundHandler()).ServeHTTP(w, req)
		assert.True(t, w.Code >= 200 && w.Code < 600, "status %d", w.Code)
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS":
		return true
	}
	return false
}
