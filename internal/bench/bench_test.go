package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as a standalone mock server process for the capacity
// benchmark, so the server's CPU is not counted as the client's.
func TestMain(m *testing.M) {
	if os.Getenv("TPUCI_BENCH_HELPER_SERVER") != "" {
		serveHelper()
		return
	}
	os.Exit(m.Run())
}

// serveHelper serves the mock on 127.0.0.1, prints its address, and exits
// when stdin closes (that is, when the parent goes away).
func serveHelper() {
	ttft, _ := time.ParseDuration(os.Getenv("TPUCI_BENCH_HELPER_TTFT"))
	itl, _ := time.ParseDuration(os.Getenv("TPUCI_BENCH_HELPER_ITL"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper server:", err)
		os.Exit(1)
	}
	m := &mockServer{ttft: ttft, itl: itl}
	go http.Serve(ln, m.handler())
	fmt.Printf("LISTEN %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// startHelperServer runs the mock in a child process (own process group,
// killed with its group at cleanup) and returns its base URL.
func startHelperServer(b *testing.B, ttft, itl time.Duration) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TPUCI_BENCH_HELPER_SERVER=1",
		"TPUCI_BENCH_HELPER_TTFT="+ttft.String(), "TPUCI_BENCH_HELPER_ITL="+itl.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatalf("start helper server: %v", err)
	}
	b.Cleanup(func() {
		stdin.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTEN ")
	if err != nil || !ok {
		b.Fatalf("helper server: %q %v", line, err)
	}
	return "http://" + addr
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkCapacity measures the client at the bench doc §6 target load:
// 1024 streams, one token every 40 ms each (about 25k chunks/s), against a
// mock server in a separate process. It reports chunks/s, client CPU per
// chunk, the arrival-to-timestamp delay and the TTFT bias. Override with
// TPUCI_CAPACITY_STREAMS, TPUCI_CAPACITY_ITL_MS and TPUCI_CAPACITY_SECONDS.
func BenchmarkCapacity(b *testing.B) {
	streams := envInt("TPUCI_CAPACITY_STREAMS", 1024)
	itl := time.Duration(envInt("TPUCI_CAPACITY_ITL_MS", 40)) * time.Millisecond
	window := time.Duration(envInt("TPUCI_CAPACITY_SECONDS", 5)) * time.Second
	url := startHelperServer(b, 50*time.Millisecond, itl)
	b.ResetTimer()
	for range b.N {
		rep, err := Capacity(context.Background(), url, streams, window)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.ChunksPerSec, "chunks/s")
		b.ReportMetric(rep.CPUPerChunkUs, "cpu-us/chunk")
		b.ReportMetric(float64(rep.DelayP50.Microseconds()), "delay-p50-us")
		b.ReportMetric(float64(rep.DelayP99.Microseconds()), "delay-p99-us")
		b.ReportMetric(float64(rep.TTFTBias.Microseconds()), "ttft-bias-us")
		b.Logf("\n%s", rep)
	}
}

// recordedGenerate is a /generate response of n tokens with cumulative text
// and ids, as SGLang-JAX streams it.
func recordedGenerate(n int) []byte {
	var body, text, ids bytes.Buffer
	for k := 1; k <= n; k++ {
		text.WriteString(" token")
		if k > 1 {
			ids.WriteByte(',')
		}
		ids.WriteString(strconv.Itoa(1000 + k))
		ev := fmt.Sprintf("data: {\"text\":%q,\"output_ids\":[%s],\"meta_info\":{\"id\":\"0123456789abcdef\",\"finish_reason\":null,\"prompt_tokens\":128,\"weight_version\":\"default\",\"completion_tokens\":%d,\"cached_tokens\":0}}\n\n",
			text.String(), ids.String(), k)
		fmt.Fprintf(&body, "%x\r\n%s\r\n", len(ev), ev)
	}
	fmt.Fprintf(&body, "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n")
	return append([]byte(sseHead), body.Bytes()...)
}

func recordedCompletions(n int) []byte {
	var body bytes.Buffer
	for range n {
		ev := oaiChunk(" token", "null")
		fmt.Fprintf(&body, "%x\r\n%s\r\n", len(ev), ev)
	}
	fmt.Fprintf(&body, "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n")
	return append([]byte(sseHead), body.Bytes()...)
}

// benchmarkParse reports the user-space cost per stream line (read from
// memory, no syscalls) and the allocations per request.
func benchmarkParse(b *testing.B, a api, raw []byte, tokens int) {
	rd := bytes.NewReader(raw)
	c := newConn(nil, rd, defaultMaxLineBytes)
	o := &requestOutput{itl: make([]float64, 0, tokens)}
	var p streamParser
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rd.Reset(raw)
		c.br.Reset(rd)
		h, err := c.readHeader()
		if err != nil {
			b.Fatal(err)
		}
		c.startBody(h)
		*o = requestOutput{itl: o.itl[:0], outputLen: tokens}
		p.reset(a, false, o, time.Now(), nil)
		if err := readStream(c, &p, time.Now); err != nil || !o.success {
			b.Fatalf("err %v %q", err, o.err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(tokens+1)), "ns/line")
}

func BenchmarkParseGenerate256(b *testing.B) {
	benchmarkParse(b, apiGenerate, recordedGenerate(256), 256)
}

func BenchmarkParseCompletions256(b *testing.B) {
	benchmarkParse(b, apiCompletions, recordedCompletions(256), 256)
}
