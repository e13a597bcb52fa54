package simserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ErrCrashed is returned by Serve after --sim-crash-after completed requests.
var ErrCrashed = errors.New("simulated crash")

// ErrCacheMiss is returned by Serve when a recompilation happened while
// SGLANG_JAX_ENABLE_CACHE_MISS_CHECK=1; the message says how many times.
var ErrCacheMiss = errors.New("cache miss")

func (errCacheMiss) Is(target error) bool { return target == ErrCacheMiss }

// Server is one simulated SGLang-JAX server.
type Server struct {
	cfg   Config
	log   *lockedWriter
	eng   *engine
	evals *evalSet
	prof  profiler

	ready     atomic.Bool
	seq       atomic.Uint64 // generation requests received
	completed atomic.Int64  // generation requests completed
	addr      string

	crashOnce sync.Once
	crash     chan error
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf(s.log, "simserver: "+format+"\n", args...)
}

// New checks cfg, loads the eval data and builds the engine.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new simserver: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	s := &Server{cfg: cfg, log: &lockedWriter{w: cfg.Log}, crash: make(chan error, 1)}
	if cfg.EvalDataDir != "" {
		evals, err := loadEvalSet(cfg.EvalDataDir)
		if err != nil {
			return nil, fmt.Errorf("new simserver: %w", err)
		}
		s.evals = evals
	}
	ec := engineConfig{
		timing: Timing{
			PrefillBaseMs:        cfg.PrefillBaseMs,
			PrefillMsPer1kTokens: cfg.PrefillMsPer1kTokens,
			DecodeStepMs:         cfg.DecodeStepMs,
			DecodeMsPerSeq:       cfg.DecodeMsPerSeq,
			Slowdown:             cfg.Slowdown,
		},
		maxRunning:     cfg.MaxRunningRequests,
		chunk:          cfg.ChunkedPrefillSize,
		recompileDelay: cfg.RecompileDelay,
		cacheMissFatal: cfg.CacheMissCheck,
		noise:          cfg.Noise,
		seed:           cfg.Seed,
	}
	if !cfg.DisableRadixCache {
		ec.cache = newPrefixCache(cacheTokenBudget)
	}
	s.eng = newEngine(ec)
	return s, nil
}

// Serve answers HTTP on ln until ctx ends (graceful: in-flight requests get
// up to Config.ShutdownTimeout) and then returns nil. It returns an error
// wrapping ErrCrashed or ErrCacheMiss when the simulation says the server
// dies; the caller should then exit non-zero.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.addr = ln.Addr().String()
	s.logf("listening on %s", s.addr)
	engCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	go s.eng.run(engCtx)
	go s.becomeReady(engCtx)

	hs := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(s.log, "simserver: http: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fatal, fatalErr := s.eng.fatal()
	select {
	case <-ctx.Done():
		s.logf("shutting down: waiting up to %s for %d in-flight requests", s.cfg.ShutdownTimeout, s.eng.active.Load())
		shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if err := hs.Shutdown(shutCtx); err != nil {
			s.logf("shutdown: timed out, closing remaining connections")
			hs.Close()
		}
		s.logf("stopped")
		return nil
	case <-fatal:
		err := fatalErr()
		s.logf("fatal: %v", err)
		time.Sleep(100 * time.Millisecond) // let failed requests get their error
		hs.Close()
		return fmt.Errorf("serve: %w", err)
	case err := <-s.crash:
		s.logf("%v", err)
		hs.Close()
		return fmt.Errorf("serve: %w", err)
	case err := <-served:
		return fmt.Errorf("serve: accept on %s: %w", s.addr, err)
	}
}

func (s *Server) becomeReady(ctx context.Context) {
	if s.cfg.NeverReady {
		s.logf("never ready (--sim-never-ready): health endpoints answer 503")
		return
	}
	if s.cfg.ReadyDelay > 0 {
		select {
		case <-time.After(s.cfg.ReadyDelay):
		case <-ctx.Done():
			return
		}
	}
	s.ready.Store(true)
	s.logf("ready: serving %s at http://%s", s.cfg.servedName(), s.addr)
}

// requestCompleted counts a finished generation request and triggers the
// simulated crash after --sim-crash-after of them.
func (s *Server) requestCompleted() {
	n := s.completed.Add(1)
	if s.cfg.CrashAfter > 0 && n >= int64(s.cfg.CrashAfter) {
		s.crashOnce.Do(func() {
			err := fmt.Errorf("crash after %d completed requests (--sim-crash-after): %w", n, ErrCrashed)
			// Give the last response time to leave before connections close.
			time.AfterFunc(50*time.Millisecond, func() { s.crash <- err })
		})
	}
}
