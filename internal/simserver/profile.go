package simserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// /start_profile and /stop_profile record the engine's steps and write them
// as a Chrome trace (JSON "traceEvents"), which Perfetto and chrome://tracing
// open.

type profiler struct {
	mu       sync.Mutex
	active   bool
	dir      string
	started  time.Time
	limit    int // stop after this many steps (0: until /stop_profile)
	steps    []stepRecord
	lastPath string
	lastErr  error
}

const maxProfileSteps = 1 << 20

type profileRequest struct {
	OutputDir *string `json:"output_dir"`
	NumSteps  *int    `json:"num_steps"`
}

func (s *Server) profileDir(req profileRequest) string {
	switch {
	case req.OutputDir != nil && *req.OutputDir != "":
		return *req.OutputDir
	case s.cfg.ProfileDir != "":
		return s.cfg.ProfileDir
	case os.Getenv("SGLANG_JAX_PROFILER_DIR") != "":
		return os.Getenv("SGLANG_JAX_PROFILER_DIR")
	}
	return filepath.Join(os.TempDir(), "simserver-profiles")
}

func textResponse(w http.ResponseWriter, status int, msg string) {
	writeBody(w, status, "text/plain; charset=utf-8", []byte(msg))
}

func (s *Server) handleStartProfile(w http.ResponseWriter, r *http.Request) {
	var req profileRequest
	body, _ := io.ReadAll(r.Body)
	if len(body) > 0 && string(body) != "null" {
		if err := json.Unmarshal(body, &req); err != nil {
			writeValidationError(w, fmt.Sprintf("invalid JSON body: %v", err))
			return
		}
	}
	if req.NumSteps != nil && *req.NumSteps <= 0 {
		writeValidationError(w, "num_steps must be positive")
		return
	}
	dir := s.profileDir(req)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		textResponse(w, http.StatusInternalServerError, fmt.Sprintf("start profile: create %s: %v\n", dir, err))
		return
	}
	p := &s.prof
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active {
		textResponse(w, http.StatusBadRequest, "Profiling is already in progress. Call /stop_profile first.\n")
		return
	}
	p.active, p.dir, p.started, p.steps, p.limit = true, dir, time.Now(), nil, 0
	if req.NumSteps != nil {
		p.limit = *req.NumSteps
	}
	hook := func(rec stepRecord) { s.recordStep(rec) }
	s.eng.onStep.Store(&hook)
	textResponse(w, http.StatusOK, fmt.Sprintf("Start profiling.\nThe trace will be written to %s\n", dir))
}

func (s *Server) recordStep(rec stepRecord) {
	p := &s.prof
	p.mu.Lock()
	if !p.active {
		p.mu.Unlock()
		return
	}
	if len(p.steps) < maxProfileSteps {
		p.steps = append(p.steps, rec)
	}
	done := p.limit > 0 && len(p.steps) >= p.limit
	p.mu.Unlock()
	if done {
		go func() { _, _ = s.finishProfile() }() // it logs its own outcome
	}
}

// finishProfile stops recording and writes the trace; it returns the path.
func (s *Server) finishProfile() (string, error) {
	p := &s.prof
	p.mu.Lock()
	if !p.active {
		defer p.mu.Unlock()
		return p.lastPath, p.lastErr
	}
	s.eng.onStep.Store(nil)
	p.active = false
	steps, dir, started := p.steps, p.dir, p.started
	p.steps = nil
	p.mu.Unlock()

	path := filepath.Join(dir, fmt.Sprintf("simserver-%s.trace.json", started.Format("20060102-150405.000")))
	err := writeTrace(path, steps, started, s.cfg.servedName())
	if err != nil {
		s.logf("stop profile: %v", err)
	} else {
		s.logf("profile: wrote %d steps to %s", len(steps), path)
	}
	p.mu.Lock()
	p.lastPath, p.lastErr = path, err
	p.mu.Unlock()
	return path, err
}

func (s *Server) handleStopProfile(w http.ResponseWriter, r *http.Request) {
	s.prof.mu.Lock()
	active, last := s.prof.active, s.prof.lastPath
	s.prof.mu.Unlock()
	if !active && last == "" {
		textResponse(w, http.StatusBadRequest, "Profiling is not in progress. Call /start_profile first.\n")
		return
	}
	path, err := s.finishProfile()
	if err != nil {
		textResponse(w, http.StatusInternalServerError, fmt.Sprintf("stop profile: %v\n", err))
		return
	}
	textResponse(w, http.StatusOK, fmt.Sprintf("Stop profiling. This will take some time.\nTrace written to %s\n", path))
}

func (s *Server) handleProfileStatus(w http.ResponseWriter, r *http.Request) {
	s.prof.mu.Lock()
	status := "idle"
	if s.prof.active {
		status = "in_progress"
	}
	s.prof.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
}

type traceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  float64        `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	Args map[string]any `json:"args,omitempty"`
}

func writeTrace(path string, steps []stepRecord, started time.Time, model string) error {
	events := []traceEvent{
		{Name: "process_name", Ph: "M", Pid: 1, Args: map[string]any{"name": "/device:TPU:0 (simulated)"}},
		{Name: "thread_name", Ph: "M", Pid: 1, Tid: 1, Args: map[string]any{"name": "steps"}},
	}
	for _, st := range steps {
		name := "decode"
		if st.Prefill {
			name = "prefill"
		}
		events = append(events, traceEvent{
			Name: name, Cat: "step", Ph: "X", Pid: 1, Tid: 1,
			Ts:   float64(st.Start.Sub(started).Nanoseconds()) / 1e3,
			Dur:  float64(st.Dur.Nanoseconds()) / 1e3,
			Args: map[string]any{"batch_size": st.Batch, "tokens": st.Tokens, "cache_miss_count": st.CacheMiss},
		})
	}
	body, err := json.Marshal(map[string]any{
		"traceEvents":     events,
		"displayTimeUnit": "ms",
		"metadata":        map[string]any{"model": model, "simulated": true, "steps": len(steps)},
	})
	if err != nil {
		return fmt.Errorf("write trace: encode: %w", err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	return nil
}
