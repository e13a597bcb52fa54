package simserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSSEStreams measures how many SSE chunks per second the server
// delivers to a real HTTP client over loopback (client and server share the
// process and its cores). Each iteration is one wave of `streams` concurrent
// streaming requests of 64 tokens.
//
//	go test ./internal/simserver -run '^$' -bench SSEStreams -benchtime 3x
//
// Metrics: chunks/s, tokens/s, chunks/token (1.0 means no coalescing: the
// server keeps up with the engine), cpu-us/chunk (client + server).
func BenchmarkSSEStreams(b *testing.B) {
	ids := strings.TrimSuffix(strings.Repeat("17,", 16), ",")
	generate := `{"input_ids":[` + ids + `],"sampling_params":{"max_new_tokens":64,"ignore_eos":true,"temperature":0},"stream":true}`
	completions := `{"model":"m","prompt":[` + ids + `],"max_tokens":64,"ignore_eos":true,"temperature":0,"stream":true}`
	cases := []struct {
		name    string
		path    string
		body    string
		streams int
		stepMs  float64
	}{
		// Saturation: the engine could produce 512k tokens/s; the HTTP path
		// decides the chunk rate.
		{"generate/streams=1024/step=2ms", "/generate", generate, 1024, 2},
		{"completions/streams=1024/step=2ms", "/v1/completions", completions, 1024, 2},
		// The heaviest CI load: 256 streams at a 10 ms ITL (25.6k tokens/s).
		{"generate/streams=256/step=10ms", "/generate", generate, 256, 10},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			benchStreams(b, bc.path, bc.body, bc.streams, bc.stepMs)
		})
	}
}

func benchStreams(b *testing.B, path, body string, streams int, stepMs float64) {
	cfg := testConfig()
	cfg.MaxRunningRequests = streams
	cfg.DecodeStepMs, cfg.DecodeMsPerSeq = stepMs, 0
	cfg.PrefillBaseMs, cfg.PrefillMsPer1kTokens = 1, 0.01
	cfg.ChunkedPrefillSize = 1 << 20
	cfg.DisableRadixCache = true
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := contextWithCancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()
	url := "http://" + ln.Addr().String() + path
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: 4 * streams, MaxIdleConnsPerHost: 4 * streams, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()

	var chunks, tokens atomic.Int64
	var failures atomic.Int64
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for s := 0; s < streams; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := readStream(client, url, body)
				if err != nil {
					failures.Add(1)
					return
				}
				chunks.Add(int64(n))
				tokens.Add(64)
			}()
		}
		wg.Wait()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d streams failed", f)
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(chunks.Load())/elapsed.Seconds(), "chunks/s")
	b.ReportMetric(float64(tokens.Load())/elapsed.Seconds(), "tokens/s")
	b.ReportMetric(float64(chunks.Load())/float64(tokens.Load()), "chunks/token")
	b.ReportMetric(float64(cpu.Microseconds())/float64(chunks.Load()), "cpu-us/chunk")
}

// readStream posts one streaming request and counts its data chunks.
func readStream(client *http.Client, url, body string) (int, error) {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	n := 0
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice('\n')
			}
			n++
			continue
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if bytes.HasPrefix(line, []byte("data: [DONE]")) {
			io.Copy(io.Discard, r)
			return n, nil
		}
		if bytes.HasPrefix(line, []byte("data: ")) {
			n++
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
