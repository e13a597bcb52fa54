package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/accuracy"
	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/nightly"
	"github.com/sgl-project/tpuci/internal/perf"
	"github.com/sgl-project/tpuci/internal/pipeline"
)

// slowdownProbe is a stage's log. When a server reports ready, it asks
// that simulator (while the stage waits on the write) for the slowdown
// it runs with, then stops the stage: one live server is all the test
// needs.
type slowdownProbe struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	cancel    context.CancelFunc
	slowdowns []float64
	errs      []error
}

var (
	startingRE = regexp.MustCompile(`server \S+: starting on port (\d+)`)
	readyRE    = regexp.MustCompile(`server \S+: ready after`)
)

func (p *slowdownProbe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	if !readyRE.Match(b) {
		return len(b), nil
	}
	ports := startingRE.FindAllStringSubmatch(p.buf.String(), -1)
	if len(ports) == 0 {
		p.errs = append(p.errs, fmt.Errorf("ready before any start line"))
	} else if s, err := simulatorSlowdown(ports[len(ports)-1][1]); err != nil {
		p.errs = append(p.errs, err)
	} else {
		p.slowdowns = append(p.slowdowns, s)
	}
	p.cancel()
	return len(b), nil
}

// simulatorSlowdown is what the simulator on port says it runs with.
func simulatorSlowdown(port string) (float64, error) {
	c := http.Client{Timeout: time.Minute}
	resp, err := c.Get("http://127.0.0.1:" + port + "/get_server_info")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var info struct {
		Simulator struct {
			Slowdown float64 `json:"slowdown"`
		} `json:"simulator"`
	}
	return info.Simulator.Slowdown, json.NewDecoder(resp.Body).Decode(&info)
}

// TPUCI_SERVER_ARGS reaches the model servers of every stage that starts
// them: each stage runs on the example until its first server is ready,
// and that simulator process reports the flag's value.
func TestServerArgsReachEveryStagesServers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the simulator")
	}
	bodies := []struct {
		target string
		body   pipeline.Body
	}{{"perf", perf.Body}, {"accuracy", accuracy.Body}, {"nightly", nightly.Body}}
	for _, b := range bodies {
		t.Run(b.target, func(t *testing.T) {
			root, err := example.Extract(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			env := map[string]string{
				"TPUCI_REPO": root, "TPUCI_OUT": filepath.Join(t.TempDir(), "out"), "TPUCI_OFFLINE": "1",
				"TPUCI_EVAL_CACHE": t.TempDir(), "TPUCI_NIGHTLY_HISTORY": t.TempDir(),
				"TPUCI_SERVER_ARGS": "--sim-slowdown 1.25",
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			probe := &slowdownProbe{cancel: cancel}
			s, err := pipeline.NewSession(func(k string) string { return env[k] }, root, probe, probe)
			if err != nil {
				t.Fatal(err)
			}
			_ = s.Run(ctx, b.target, b.body) // stopped by the probe
			probe.mu.Lock()
			defer probe.mu.Unlock()
			if len(probe.errs) > 0 || len(probe.slowdowns) == 0 {
				t.Fatalf("no server answered: %v\n%s", probe.errs, probe.buf.String())
			}
			for _, got := range probe.slowdowns {
				if got != 1.25 {
					t.Errorf("%s server runs with slowdown %v, want 1.25 from TPUCI_SERVER_ARGS", b.target, got)
				}
			}
		})
	}
}
