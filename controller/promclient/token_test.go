package promclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI records the Authorization header of each query and answers with an
// empty vector.
type fakeAPI struct {
	mu    sync.Mutex
	auths []string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "success",
		"data":   map[string]any{"resultType": "vector", "result": []any{}},
	})
}

func (f *fakeAPI) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths[len(f.auths)-1]
}

func TestBearerTokenFileIsReReadOnRotation(t *testing.T) {
	api := &fakeAPI{}
	srv := httptest.NewTLSServer(api)
	defer srv.Close()
	dir := t.TempDir()
	caFile := writeServerCA(t, dir, srv)
	tokenPath := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenPath, []byte("first\n"), 0o600))

	c, err := New(Config{URL: srv.URL, CAFile: caFile, TokenFile: tokenPath})
	require.NoError(t, err)
	_, err = c.Query(context.Background(), "up", time.Unix(100, 0))
	require.NoError(t, err)
	assert.Equal(t, "Bearer first", api.last())

	// Rotate: a new file content with a different mtime.
	require.NoError(t, os.WriteFile(tokenPath, []byte("second-token"), 0o600))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(tokenPath, later, later))
	_, err = c.Query(context.Background(), "up", time.Unix(100, 0))
	require.NoError(t, err)
	assert.Equal(t, "Bearer second-token", api.last())

	// A removed file is an error naming the flag, not a silent anonymous query.
	require.NoError(t, os.Remove(tokenPath))
	_, err = c.Query(context.Background(), "up", time.Unix(100, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), FlagTokenFile)
}

func TestBearerTokenValue(t *testing.T) {
	api := &fakeAPI{}
	srv := httptest.NewTLSServer(api)
	defer srv.Close()
	caFile := writeServerCA(t, t.TempDir(), srv)
	c, err := New(Config{URL: srv.URL, CAFile: caFile, Token: "abc"})
	require.NoError(t, err)
	_, err = c.Query(context.Background(), "up", time.Unix(100, 0))
	require.NoError(t, err)
	assert.Equal(t, "Bearer abc", api.last())
}

func TestQueryRejectsNonVector(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, CAFile: writeServerCA(t, t.TempDir(), srv)})
	require.NoError(t, err)
	_, err = c.Query(context.Background(), `up[1m]`, time.Unix(100, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expected a vector")
}

func TestQueryRangeRejectsNonMatrix(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, CAFile: writeServerCA(t, t.TempDir(), srv)})
	require.NoError(t, err)
	_, err = c.QueryRange(context.Background(), `up`, time.Unix(100, 0), time.Unix(200, 0), time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expected a matrix")
	assert.Contains(t, err.Error(), `"up"`)
}

func TestQueryTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	c, err := New(Config{URL: srv.URL, CAFile: writeServerCA(t, t.TempDir(), srv), Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Query(context.Background(), "slow_query", time.Unix(100, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"slow_query"`)
}

func writeServerCA(t *testing.T, dir string, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(path, pemCert(srv.Certificate().Raw), 0o600))
	return path
}
