package simserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testConfig is the default config with a fast timing model.
func testConfig() Config {
	c := DefaultConfig()
	c.Port = 0
	c.PrefillBaseMs, c.PrefillMsPer1kTokens = 0.5, 1
	c.DecodeStepMs, c.DecodeMsPerSeq = 0.5, 0.01
	c.ShutdownTimeout = 5 * time.Second
	c.RecompileDelay = time.Millisecond
	return c
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	url    string
	srv    *Server
	log    *syncBuffer
	cancel context.CancelFunc
	errc   chan error
	once   sync.Once
	err    error
}

// startServer serves a simulator on 127.0.0.1 until the test ends.
func startServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	logBuf := &syncBuffer{}
	cfg.Log = logBuf
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{url: "http://" + ln.Addr().String(), srv: srv, log: logBuf, cancel: cancel, errc: make(chan error, 1)}
	go func() { ts.errc <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { ts.stop(t) })
	if !cfg.NeverReady && cfg.ReadyDelay == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for !srv.ready.Load() {
			if time.Now().After(deadline) {
				t.Fatalf("server not ready after 5s")
			}
			time.Sleep(time.Millisecond)
		}
	}
	return ts
}

// stop cancels Serve and returns its result.
func (ts *testServer) stop(t *testing.T) error {
	ts.once.Do(func() {
		ts.cancel()
		select {
		case ts.err = <-ts.errc:
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return 10s after cancel")
		}
	})
	return ts.err
}

// wait returns Serve's result without cancelling it.
func (ts *testServer) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-ts.errc:
		ts.once.Do(func() { ts.err = err })
		return err
	case <-time.After(timeout):
		t.Fatalf("Serve still running after %v", timeout)
		return nil
	}
}

func do(t *testing.T, method, url, contentType, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, data
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	code, _, body := do(t, http.MethodGet, url, "", "")
	return code, body
}

func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	code, _, data := do(t, http.MethodPost, url, "application/json", body)
	return code, data
}

// sseEvents splits an SSE body into its data payloads.
func sseEvents(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("SSE line without data prefix: %q", line)
		}
		out = append(out, data)
	}
	if !bytes.HasSuffix(body, []byte("\n\n")) {
		t.Errorf("SSE body does not end with a blank line")
	}
	return out
}

func mustJSON(t *testing.T, data string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("invalid JSON %q: %v", data, err)
	}
	return m
}

func num(t *testing.T, m map[string]any, key string) int {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("key %q = %v (%T), want a number in %v", key, m[key], m[key], m)
	}
	return int(v)
}

func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("key %q = %v, want an object", key, m[key])
	}
	return v
}
