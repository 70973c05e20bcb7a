package app

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const completionBody = `{"prompt":"hello there","max_tokens":4,"ignore_eos":true}`

// TestBodyReadTimeout: a client that sends its headers and then trickles the
// body slower than --body-read-timeout gets a 408 (or a closed connection)
// about when the timeout passes, and the server stays healthy.
func TestBodyReadTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	o := NewOptions()
	o.NoLatency = true
	o.BodyReadTimeout = timeout
	r := startServe(t, o)

	conn, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, "POST /v1/completions HTTP/1.1\r\nHost: saturn-sim\r\nContent-Type: application/json\r\n"+
		"Content-Length: 1000\r\n\r\n{")
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte every 200 ms: the body would take 200 s
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := io.WriteString(conn, " "); err != nil {
					return
				}
			}
		}
	}()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	elapsed := time.Since(start)
	t.Logf("after %v: %v", elapsed, err)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode, "%s", body)
		assert.Contains(t, string(body), "--body-read-timeout")
	} else {
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server neither answered nor closed the connection: %v", err)
	}
	assert.GreaterOrEqual(t, elapsed, timeout-50*time.Millisecond)
	assert.Less(t, elapsed, timeout+5*time.Second, "answered within about the timeout")

	resp, err = http.Get(r.url + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Post(r.url+"/v1/completions", "application/json", strings.NewReader(completionBody))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestBodyReadTimeoutSparesLongResponses: a request held far longer than
// --body-read-timeout after its body arrived (here by --fault-slow-start; a
// long stream is the same) is answered in full, and its connection is then
// reused for the next request. (A WriteTimeout, for one, would cut it.)
func TestBodyReadTimeoutSparesLongResponses(t *testing.T) {
	o := NewOptions()
	o.NoLatency = true
	o.BodyReadTimeout = 200 * time.Millisecond
	o.FaultSlowStart = 1500 * time.Millisecond
	r := startServe(t, o)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	var reused []bool
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) }}
	for i, body := range []string{completionBody, strings.Replace(completionBody, "}", `,"stream":true}`, 1)} {
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodPost, r.url+"/v1/completions", strings.NewReader(body))
		require.NoError(t, err)
		start := time.Now()
		resp, err := client.Do(req)
		require.NoError(t, err)
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", out)
		if i == 0 {
			assert.Greater(t, time.Since(start), 4*o.BodyReadTimeout, "the request was held past the body read timeout")
			assert.Contains(t, string(out), `"finish_reason":"length"`, "a complete answer: %s", out)
		} else {
			assert.True(t, strings.HasSuffix(string(out), "data: [DONE]\n\n"), "a complete stream: %s", out)
		}
	}
	assert.Equal(t, []bool{false, true}, reused, "the second request reuses the connection")
}
