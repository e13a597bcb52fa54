package nightly

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/nightly/matrix"
	"github.com/sgl-project/tpuci/internal/server"
)

// tracing is a profiler capture in progress on one server: /start_profile
// with an output directory and a step budget before the benchmark,
// /stop_profile after it. SGLang-JAX writes an xprof trace there, the
// simulator a Chrome-trace JSON; every file the server writes is kept.
type tracing struct {
	base   string
	dir    string
	before map[string]bool
	log    io.Writer
}

var profileClient = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{Proxy: nil}}

func (r *Runner) startTrace(ctx context.Context, c matrix.Case, in *server.Instance, log io.Writer) *tracing {
	dir := filepath.Join(r.TraceDir, c.Model)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(r.Log, "    warning: %s: no trace: %v\n", c.Key, err)
		return nil
	}
	abs, _ := filepath.Abs(dir)
	t := &tracing{base: in.BaseURL, dir: abs, before: files(abs), log: log}
	steps := r.TraceSteps
	if steps <= 0 {
		steps = matrix.DefaultTraceSteps
	}
	body, _ := json.Marshal(map[string]any{"output_dir": abs, "num_steps": steps})
	if _, err := t.post(ctx, "/start_profile", body); err != nil {
		fmt.Fprintf(r.Log, "    warning: %s: no trace: %v\n", c.Key, err)
		return nil
	}
	fmt.Fprintf(log, "profiling %d steps into %s\n", steps, abs)
	return t
}

// stop ends the capture and returns the trace file (the largest new file
// the server wrote into the directory).
func (t *tracing) stop(ctx context.Context) (string, error) {
	_, stopErr := t.post(ctx, "/stop_profile", nil)
	// A capture limited to a number of steps may have ended by itself.
	var newest string
	var size int64 = -1
	deadline := time.Now().Add(30 * time.Second)
	for {
		prev := size
		for p, info := range newFiles(t.dir, t.before) {
			if info.Size() >= size {
				newest, size = p, info.Size()
			}
		}
		// Done when a file exists and stopped growing (it may still be written).
		if newest != "" && size == prev || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if newest == "" {
		if stopErr != nil {
			return "", stopErr
		}
		return "", fmt.Errorf("the server wrote no trace file into %s", t.dir)
	}
	fmt.Fprintf(t.log, "trace: %s\n", newest)
	return newest, nil
}

func (t *tracing) post(ctx context.Context, path string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+path, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("trace: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := profileClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("trace: %s: %w", path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("trace: %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return string(msg), nil
}

func files(dir string) map[string]bool {
	out := map[string]bool{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out[p] = true
		}
		return nil
	})
	return out
}

func newFiles(dir string, before map[string]bool) map[string]fs.FileInfo {
	out := map[string]fs.FileInfo{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !before[p] {
			if info, err := d.Info(); err == nil {
				out[p] = info
			}
		}
		return nil
	})
	return out
}
