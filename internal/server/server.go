// Package server launches model servers from [[server]] launch profiles,
// waits until they answer, keeps one running per profile for the cases that
// share it, and stops their whole process tree afterwards. The perf,
// accuracy and nightly stages use it.
//
// A profile's command defaults to SGLang-JAX's launch_server:
//
//	<python> -m sgl_jax.launch_server --model-path M --host 127.0.0.1 --port P
//	    --tp-size N [--ep-size E] --device tpu <args>
//
// and command = ["tpuci-simserver", ...] runs tpuci's simulator, built once
// per process with go build, with the same flags. A model named
// "tpuci:<name>" is a directory tpuci generates (internal/tinymodel) under
// Options.ModelDir, given as --model-path.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/tinymodel"
)

// CacheMissEnv makes SGLang-JAX (and the simulator) treat a JIT
// recompilation after precompilation as fatal.
const CacheMissEnv = "SGLANG_JAX_ENABLE_CACHE_MISS_CHECK"

// SimCommand is the command name that selects tpuci's simulator.
const SimCommand = "tpuci-simserver"

// SimPackage is the Go package of the simulator.
const SimPackage = "github.com/sgl-project/tpuci/cmd/tpuci-simserver"

// TailLines is how many log lines an error shows.
const TailLines = 30

// Options configure a Manager.
type Options struct {
	Repo    string                   // working directory of the server (the checkout)
	Python  string                   // interpreter of the default command
	LogDir  string                   // server-<profile>.log is written here
	Env     []string                 // added to the inherited environment of every server
	ChipEnv func(chips int) []string // extra environment for a profile's chip count (ws.Chips.Env); may be nil
	BinDir  string                   // where the simulator binary is built ($TPUCI_OUT/bin)
	// BuildDir is where go build runs: a module that has tpuci as itself
	// or as a dependency. Empty means the current directory.
	BuildDir string
	Log      io.Writer // progress lines; nil discards
	// ExtraArgs are appended to every profile's args (e.g. from
	// TPUCI_SERVER_ARGS, to try a flag without editing the config).
	ExtraArgs []string
	// ModelDir keeps the generated models ("tpuci:<name>"); empty: the
	// user cache.
	ModelDir string
	// KeepOthers lets servers of several profiles run at once. By default
	// Get stops the other servers first, since they hold the chips.
	KeepOthers bool
	// Compiles, when set, counts every server's JAX compiles (case = the
	// profile name).
	Compiles *compiles.Hook
}

// Compiles is the hook the servers record their JAX compiles with; nil
// without one.
func (m *Manager) Compiles() *compiles.Hook { return m.o.Compiles }

// Manager starts servers on demand and stops them all on Close.
type Manager struct {
	o   Options
	mu  sync.Mutex
	run map[string]*Instance
}

// NewManager returns a Manager; nothing starts until Get.
func NewManager(o Options) *Manager {
	if o.Log == nil {
		o.Log = io.Discard
	}
	return &Manager{o: o, run: map[string]*Instance{}}
}

// Instance is one running server.
type Instance struct {
	Profile string   // launch profile name
	BaseURL string   // http://127.0.0.1:<port>
	Port    int      //
	LogFile string   // the server's stdout and stderr
	Argv    []string // the command that runs it
	Started time.Time
	Ready   time.Duration // start to first healthy answer
	// VocabSize is the generated model's vocabulary (prompt token ids must
	// stay below it); 0 for other models.
	VocabSize int

	p      *proc.Process
	offset int64 // where this start's output begins in LogFile
	logf   *os.File
}

// Error is a server that failed to start or died: a one-line reason and
// the tail of its log.
type Error struct {
	Profile string
	Reason  string
	LogFile string
	Tail    []string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server %s: %s", e.Profile, e.Reason)
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "; last %d lines of %s:", len(e.Tail), e.LogFile)
		for _, l := range e.Tail {
			b.WriteString("\n    | " + l)
		}
	} else if e.LogFile != "" {
		fmt.Fprintf(&b, " (log %s is empty)", e.LogFile)
	}
	return b.String()
}

// Summary is the error's first line, without the log tail.
func (e *Error) Summary() string { return "server " + e.Profile + ": " + e.Reason }

// Get returns the running server of profile p, starting it (and, unless
// KeepOthers, stopping the others) when none runs or the last one died.
// It waits until GET /health_generate answers 200, at most p.ReadyTimeout.
func (m *Manager) Get(ctx context.Context, p *config.Server) (*Instance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if in, ok := m.run[p.Name]; ok {
		if in.Alive() == nil {
			return in, nil
		}
		fmt.Fprintf(m.o.Log, "    server %s died; starting it again\n", p.Name)
		in.stop()
		delete(m.run, p.Name)
	}
	if !m.o.KeepOthers {
		for name, in := range m.run {
			in.stop()
			delete(m.run, name)
		}
	}
	argv, err := m.command(ctx, p)
	if err != nil {
		return nil, err
	}
	// A port picked free can be taken before the server binds it; retry
	// with another one when the log says so.
	for attempt := 0; ; attempt++ {
		in, err := m.start(ctx, p, argv)
		var se *Error
		if err != nil && attempt < 2 && errors.As(err, &se) && portTaken(se.Tail) {
			fmt.Fprintf(m.o.Log, "    server %s: port %d was taken, retrying\n", p.Name, in.Port)
			continue
		}
		if err != nil {
			return nil, err
		}
		if tm, err := tinymodel.Lookup(p.Model); err == nil {
			in.VocabSize = tm.Vocab
		}
		m.run[p.Name] = in
		return in, nil
	}
}

// Stop stops the server of one profile, if it runs.
func (m *Manager) Stop(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if in, ok := m.run[name]; ok {
		in.stop()
		delete(m.run, name)
	}
}

// Close stops every server.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, in := range m.run {
		in.stop()
		delete(m.run, name)
	}
}

// command is the argv of profile p without the port.
func (m *Manager) command(ctx context.Context, p *config.Server) ([]string, error) {
	var argv []string
	switch {
	case len(p.Command) == 0:
		if m.o.Python == "" {
			return nil, fmt.Errorf("server %s: no python to run sgl_jax.launch_server: set TPUCI_PYTHON or [repo].python, or give the profile a command", p.Name)
		}
		argv = []string{m.o.Python, "-m", "sgl_jax.launch_server"}
	case p.Command[0] == SimCommand:
		bin, err := BuildSimulator(ctx, m.o.BinDir, m.o.BuildDir, m.o.Log)
		if err != nil {
			return nil, fmt.Errorf("server %s: %w", p.Name, err)
		}
		argv = append([]string{bin}, p.Command[1:]...)
	default:
		argv = slices.Clone(p.Command)
	}
	model := p.Model
	if tinymodel.Is(model) {
		dir, err := m.generatedModel(ctx, p)
		if err != nil {
			return nil, err
		}
		model = dir
	}
	argv = append(argv, "--model-path", model, "--host", "127.0.0.1", "--port", "PORT", "--tp-size", strconv.Itoa(max(p.TP, 1)))
	if p.EP > 0 {
		argv = append(argv, "--ep-size", strconv.Itoa(p.EP))
	}
	if !hasFlag(p.Args, "--device") {
		argv = append(argv, "--device", "tpu")
	}
	argv = append(argv, p.Args...)
	return append(argv, m.o.ExtraArgs...), nil
}

// generatedModel makes (or reuses) the directory of a "tpuci:" model with
// the interpreter of the default command, which has the tokenizers package
// wherever SGLang-JAX is installed.
func (m *Manager) generatedModel(ctx context.Context, p *config.Server) (string, error) {
	tm, err := tinymodel.Lookup(p.Model)
	if err != nil {
		return "", fmt.Errorf("server %s: %w", p.Name, err)
	}
	if m.o.Python == "" {
		return "", fmt.Errorf("server %s: model %s: no python to build its tokenizer: set TPUCI_PYTHON or [repo].python", p.Name, p.Model)
	}
	cache := m.o.ModelDir
	if cache == "" {
		user, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("server %s: model %s: %w", p.Name, p.Model, err)
		}
		cache = filepath.Join(user, "tpuci", "models")
	}
	start := time.Now()
	dir, built, err := tinymodel.Ensure(ctx, m.o.Python, cache, tm)
	if err != nil {
		return "", fmt.Errorf("server %s: %w", p.Name, err)
	}
	if built {
		fmt.Fprintln(m.o.Log, report.Fit(fmt.Sprintf("    server %s: generated %s in %s (%s)",
			p.Name, p.Model, time.Since(start).Round(10*time.Millisecond), dir)))
	}
	return dir, nil
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// Env is the environment a profile's server gets on top of the inherited one.
func (m *Manager) Env(p *config.Server) []string {
	env := slices.Clone(m.o.Env)
	if m.o.ChipEnv != nil {
		env = append(env, m.o.ChipEnv(p.Chips)...)
	}
	if p.CacheMiss == nil || *p.CacheMiss {
		env = append(env, CacheMissEnv+"=1")
	}
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+p.Env[k])
	}
	if m.o.Compiles != nil { // last: it goes in front of the profile's PYTHONPATH
		env = append(env, m.o.Compiles.Env(p.Name, env)...)
	}
	return env
}

func (m *Manager) start(ctx context.Context, p *config.Server, tmpl []string) (*Instance, error) {
	port, err := freePort()
	if err != nil {
		return &Instance{}, fmt.Errorf("server %s: %w", p.Name, err)
	}
	argv := slices.Clone(tmpl)
	for i, a := range argv {
		if a == "PORT" && i > 0 && argv[i-1] == "--port" {
			argv[i] = strconv.Itoa(port)
		}
	}
	logFile := filepath.Join(m.o.LogDir, "server-"+p.Name+".log")
	in := &Instance{Profile: p.Name, Port: port, BaseURL: "http://127.0.0.1:" + strconv.Itoa(port), LogFile: logFile, Argv: argv}
	if err := os.MkdirAll(m.o.LogDir, 0o755); err != nil {
		return in, fmt.Errorf("server %s: create log dir: %w", p.Name, err)
	}
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return in, fmt.Errorf("server %s: open log: %w", p.Name, err)
	}
	if st, err := f.Stat(); err == nil {
		in.offset = st.Size()
	}
	fmt.Fprintf(f, "$ %s\n", proc.Quote(argv))
	in.logf = f
	// The log's directory is the stage's, shown in the summary; its name suffices here.
	fmt.Fprintln(m.o.Log, report.Fit(fmt.Sprintf("    server %s: starting on port %d (log %s)", p.Name, port, filepath.Base(logFile))))
	in.Started = time.Now()
	in.p, err = proc.Start(proc.Cmd{Argv: argv, Dir: m.o.Repo, Env: m.Env(p), Stdout: f, Grace: 5 * time.Second})
	if err != nil {
		f.Close()
		return in, &Error{Profile: p.Name, Reason: "start: " + err.Error(), LogFile: logFile}
	}
	if err := in.waitReady(ctx, p.ReadyTimeout.Duration); err != nil {
		in.stop()
		return in, err
	}
	in.Ready = time.Since(in.Started)
	fmt.Fprintf(m.o.Log, "    server %s: ready after %s\n", p.Name, in.Ready.Round(10*time.Millisecond))
	return in, nil
}

// client talks to servers on loopback only, never through a proxy.
var client = &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}

// waitReady polls /health_generate until it answers 200, the process
// exits, the timeout passes or ctx ends.
func (in *Instance) waitReady(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = config.DefaultReadyTimeout
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	url := in.BaseURL + "/health_generate"
	last := "no answer yet"
	tick := 100 * time.Millisecond
	for {
		rctx, cancel := context.WithTimeout(ctx, min(10*time.Second, timeout))
		req, _ := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		cancel()
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // drain for reuse
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = "HTTP " + strconv.Itoa(resp.StatusCode)
		} else if ctx.Err() == nil {
			last = shortNetErr(err)
		}
		select {
		case <-in.p.Done():
			return in.fail("exited before it was ready (%s)", in.exitText())
		case <-deadline.C:
			return in.fail("not ready within %s (GET %s: %s)", timeout, url, last)
		case <-ctx.Done():
			return in.fail("interrupted while waiting for readiness: %v", context.Cause(ctx))
		case <-time.After(tick):
		}
		tick = min(tick*3/2, time.Second)
	}
}

func shortNetErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err.Error()
	}
	return err.Error()
}

func (in *Instance) fail(format string, args ...any) *Error {
	return &Error{Profile: in.Profile, Reason: fmt.Sprintf(format, args...), LogFile: in.LogFile, Tail: in.Tail(TailLines)}
}

func (in *Instance) exitText() string {
	o, _ := in.p.Wait(context.Background())
	return o.Describe()
}

// Alive returns nil while the server process runs, and otherwise an *Error
// saying how it ended with the tail of its log.
func (in *Instance) Alive() error {
	if in == nil || in.p == nil {
		return errors.New("server: not started")
	}
	select {
	case <-in.p.Done():
		return in.fail("died (%s)", in.exitText())
	default:
		return nil
	}
}

// Done is closed when the server process has exited.
func (in *Instance) Done() <-chan struct{} { return in.p.Done() }

// Pid is the server's process id (its process group).
func (in *Instance) Pid() int { return in.p.Pid() }

// Tail returns up to n last lines this start wrote to the log.
func (in *Instance) Tail(n int) []string {
	data, err := readFrom(in.LogFile, in.offset, 256<<10)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// Log returns what this start wrote to the log (at most the last 4 MiB).
func (in *Instance) Log() string {
	data, _ := readFrom(in.LogFile, in.offset, 4<<20)
	return string(data)
}

// readFrom reads path from offset, keeping at most limit trailing bytes.
func readFrom(path string, offset, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	start := max(offset, st.Size()-limit)
	buf := make([]byte, st.Size()-start)
	n, err := f.ReadAt(buf, start)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

var cacheMissRE = regexp.MustCompile(`(?i)cache miss occurred (\d+) times`)

// CacheMisses counts the recompilations the server reported in its log
// since it started (SGLang-JAX and the simulator both write
// "cache miss occurred N times" when SGLANG_JAX_ENABLE_CACHE_MISS_CHECK is on).
func (in *Instance) CacheMisses() int {
	n := 0
	for _, m := range cacheMissRE.FindAllStringSubmatch(in.Log(), -1) {
		v, _ := strconv.Atoi(m[1])
		n = max(n, v)
	}
	return n
}

func (in *Instance) stop() {
	if in.p != nil {
		in.p.Stop()
	}
	if in.logf != nil {
		in.logf.Close()
		in.logf = nil
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port on 127.0.0.1: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func portTaken(tail []string) bool {
	for _, l := range tail {
		if strings.Contains(strings.ToLower(l), "address already in use") {
			return true
		}
	}
	return false
}
