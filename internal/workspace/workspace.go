// Package workspace resolves what a run works on: the checkout, its
// configuration, the interpreter, the output directory and the chips,
// from tpuci's environment variables.
package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/jaxenv"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/suitepolicy"
)

// Workspace is everything a target needs to know about its surroundings.
type Workspace struct {
	Repo       string         // absolute path of the checkout under test
	Example    bool           // Repo is the bundled example
	Config     *config.Config // resolved and validated
	Out        string         // absolute output directory
	Python     string         // interpreter; empty when none was found
	PythonFrom string         // where Python came from, or why it is missing
	Chips      chips.Info
	Commit     string // commit (plus a hash of local changes) for stage records
	XLACache   string // persistent XLA cache dir, made by Resolve; empty when unset or not creatable
	CI         bool   // CI=true
	Notes      []string
	Settings   *settings.Settings // the environment, parsed once
	Getenv     func(string) string
}

// Shaped reports whether dir looks like an SGLang-JAX checkout.
func Shaped(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "python", "sgl_jax"))
	return err == nil && st.IsDir()
}

// Resolve parses the environment (internal/settings), failing on a bad
// value before any work, and resolves TPUCI_REPO, TPUCI_CONFIG,
// TPUCI_OUT, TPUCI_PYTHON and TPUCI_CHIPS. cwd is the directory tpuci was
// started in.
func Resolve(getenv func(string) string, cwd string) (*Workspace, error) {
	set, err := settings.Parse(getenv)
	if err != nil {
		return nil, err
	}
	w := &Workspace{Settings: set, Getenv: getenv, CI: set.CI}
	if err := w.resolveRepo(cwd); err != nil {
		return nil, err
	}
	if err := w.resolveConfig(cwd); err != nil {
		return nil, err
	}
	out := set.Out
	if out == "" {
		out = filepath.Join(cwd, "tpuci-out")
	}
	out, err = filepath.Abs(absFrom(cwd, out))
	if err != nil {
		return nil, fmt.Errorf("workspace: TPUCI_OUT: %w", err)
	}
	w.Out = out
	w.Chips, err = chips.Detect("/", getenv)
	if err != nil {
		return nil, err
	}
	w.resolvePython(cwd)
	if err := w.resolveJAX(context.Background()); err != nil {
		return nil, err
	}
	w.Commit = commitOf(w.Repo)
	if d := w.Config.Cache.XLADir; d != "" {
		if usableDir(d) {
			w.XLACache = d
		} else {
			w.Notes = append(w.Notes, fmt.Sprintf("warning: XLA cache dir %s cannot be created; compiling without a persistent cache (scripts/bootstrap.sh prepares it)", d))
		}
	}
	return w, nil
}

func (w *Workspace) resolveRepo(cwd string) error {
	if r := w.Settings.Repo; r != "" {
		abs, err := filepath.Abs(absFrom(cwd, r))
		if err != nil {
			return fmt.Errorf("workspace: TPUCI_REPO=%s: %w", r, err)
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return fmt.Errorf("workspace: TPUCI_REPO=%s is not a directory; point it at an SGLang-JAX checkout", r)
		}
		if !Shaped(abs) {
			w.Notes = append(w.Notes, fmt.Sprintf("warning: TPUCI_REPO=%s has no python/sgl_jax; testing it anyway", abs))
		}
		w.Repo = abs
		return nil
	}
	if Shaped(cwd) {
		w.Repo = cwd
		return nil
	}
	cache, err := os.UserCacheDir()
	if err != nil || cache == "" {
		cache = os.TempDir()
	}
	root, err := example.Extract(filepath.Join(cache, "tpuci"))
	if err != nil {
		return fmt.Errorf("workspace: unpack the bundled example: %w", err)
	}
	w.Repo, w.Example = root, true
	// The repo line that follows names the example's path.
	w.Notes = append(w.Notes, "no python/sgl_jax here and TPUCI_REPO unset: testing the bundled example")
	if !example.HasHistory(root) {
		w.Notes = append(w.Notes, NoGitNote)
	}
	return nil
}

// NoGitNote says what the bundled example lacks when it was extracted
// without git.
const NoGitNote = "warning: git is not installed: the bundled example has no history " +
	"(no TPUCI_COMPARE, no reuse of passed stages, ci:plan cannot list changes)"

func (w *Workspace) resolveConfig(cwd string) error {
	var (
		cfg *config.Config
		err error
	)
	switch p := w.Settings.Config; {
	case p != "":
		cfg, err = config.Load(absFrom(cwd, p))
	case fileExists(filepath.Join(w.Repo, "tpuci.toml")):
		cfg, err = config.Load(filepath.Join(w.Repo, "tpuci.toml"))
	default:
		if cfg, err = config.Default(); err == nil {
			err = w.liveSuites(cfg)
		}
	}
	if err != nil {
		return err
	}
	if err := cfg.Validate(w.Repo); err != nil {
		return err
	}
	w.Config = cfg
	return nil
}

// liveSuites replaces the embedded default's suites with the checkout's
// own run_suite.py table, the default's suites serving as the policy. A
// suite the policy does not know is a warning, and an error under CI.
func (w *Workspace) liveSuites(cfg *config.Config) error {
	table, src, ok, err := suitepolicy.Read(w.Repo)
	if err != nil || !ok {
		return err
	}
	res := suitepolicy.Apply(w.Repo, cfg.Suites, table, nil)
	cfg.ReplaceSuites(res.Suites, suitepolicy.RunSuite, src)
	for _, n := range res.Notes {
		w.Notes = append(w.Notes, "warning: "+n)
	}
	var errs []error
	for _, name := range res.Unmapped {
		msg := suitepolicy.UnmappedMessage(name)
		if w.CI {
			errs = append(errs, fmt.Errorf("workspace: %s: %s", suitepolicy.RunSuite, msg))
			continue
		}
		w.Notes = append(w.Notes, "warning: "+msg+" (an error under CI=true)")
	}
	return errors.Join(errs...)
}

func (w *Workspace) resolvePython(cwd string) {
	try := func(p, from string) bool {
		if p == "" {
			return false
		}
		if !strings.ContainsRune(p, '/') {
			if lp, err := exec.LookPath(p); err == nil {
				p = lp
			}
		} else if !filepath.IsAbs(p) {
			p = filepath.Join(w.Repo, p)
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			w.Python, w.PythonFrom = p, from
			return true
		}
		w.Notes = append(w.Notes, fmt.Sprintf("warning: python %s (%s) is not an executable file", p, from))
		return false
	}
	if v := w.Settings.Python; v != "" {
		if !strings.ContainsRune(v, '/') || filepath.IsAbs(v) {
			try(v, "TPUCI_PYTHON")
		} else {
			try(filepath.Join(cwd, v), "TPUCI_PYTHON")
		}
		if w.Python == "" {
			w.PythonFrom = fmt.Sprintf("TPUCI_PYTHON=%s is not an executable", v)
		}
		return
	}
	if try(w.Config.Repo.Python, "config [repo].python") {
		return
	}
	if try(filepath.Join(w.Repo, ".venv", "bin", "python"), "the checkout's .venv") {
		return
	}
	w.PythonFrom = "no interpreter: set TPUCI_PYTHON, [repo].python in tpuci.toml, or create .venv in the checkout (scripts/bootstrap.sh does)"
}

// resolveJAX gives the bundled example (or a copy) an interpreter with
// JAX: the resolved one when it has JAX, else a venv made from it once per
// machine with the example's cpu extra. An explicit TPUCI_PYTHON without
// JAX is the user's choice and fails, as does a failed install under CI.
func (w *Workspace) resolveJAX(ctx context.Context) error {
	pin, ok := jaxenv.ExamplePin(w.Repo)
	if !ok || w.Python == "" || jaxenv.Has(ctx, w.Python) {
		return nil
	}
	if w.PythonFrom == "TPUCI_PYTHON" {
		return fmt.Errorf("workspace: TPUCI_PYTHON=%s has no JAX, which the example's kernels and tests need: "+
			"%s -m pip install '%s', or unset TPUCI_PYTHON (tpuci then installs it once)", w.Python, w.Python, pin)
	}
	cache := w.Settings.JAXCache
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil || dir == "" {
			dir = os.TempDir()
		}
		cache = filepath.Join(dir, "tpuci")
	}
	py, _, err := jaxenv.Ensure(ctx, cache, w.Python, pin)
	if err != nil {
		if w.CI {
			return fmt.Errorf("workspace: %s has no JAX: %w", w.Python, err)
		}
		w.Notes = append(w.Notes, fmt.Sprintf("warning: %s has no JAX and installing %s failed (%v); "+
			"the kernels and tests will fail: set TPUCI_PYTHON to an interpreter with JAX", w.Python, pin, err))
		return nil
	}
	// The python line that follows names the venv.
	w.Notes = append(w.Notes, fmt.Sprintf("example: %s has no JAX: %s from PyPI (installed once; venv below)", w.Python, pin))
	w.Python, w.PythonFrom = py, w.PythonFrom+" + JAX venv"
	return nil
}

// commitOf names the checkout's state: HEAD plus a hash of local changes.
// A tree outside git is named by its path and modification times.
func commitOf(repo string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g := gitcmd.Repo{Dir: repo}
	head, err := g.Output(ctx, "rev-parse", "HEAD")
	if err != nil {
		return "nogit-" + shortHash(repo)
	}
	c := strings.TrimSpace(string(head))
	diff, err := g.Output(ctx, "status", "--porcelain", "--untracked-files=no")
	if err == nil && len(strings.TrimSpace(string(diff))) > 0 {
		d, _ := g.Output(ctx, "diff", "HEAD")
		c += "+dirty-" + shortHash(string(d))
	}
	return c
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

func absFrom(cwd, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(cwd, p)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// usableDir reports whether a cache directory exists or can be made.
func usableDir(dir string) bool {
	return os.MkdirAll(dir, 0o755) == nil
}

// LogDir is where a target's logs go.
func (w *Workspace) LogDir(target string) string {
	return filepath.Join(w.Out, "logs", FileName(target))
}

// FileName turns a target name into a file name that artifact uploads
// accept ("release:docker" -> "release-docker").
func FileName(target string) string { return strings.ReplaceAll(target, ":", "-") }

// Env is the environment every child gets on top of the inherited one:
// the config's [env] sorted by name, cache settings, and tpuci's own
// markers. The same workspace always yields the same list, and computing
// it changes nothing on disk.
func (w *Workspace) Env() []string {
	var env []string
	for _, k := range slices.Sorted(maps.Keys(w.Config.Env)) {
		env = append(env, k+"="+w.Config.Env[k])
	}
	c := w.Config.Cache
	if w.XLACache != "" {
		env = append(env, "JAX_COMPILATION_CACHE_DIR="+w.XLACache, "JAX_TEST_WITH_PERSISTENT_COMPILATION_CACHE=1")
	}
	if c.XLAMinCompileSecs != nil {
		env = append(env, fmt.Sprintf("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=%g", *c.XLAMinCompileSecs))
	}
	if c.ModelDir != "" {
		env = append(env, "SGLANG_JAX_MODEL_CACHE="+c.ModelDir)
	}
	if c.SccacheDir != "" {
		env = append(env, "SCCACHE_DIR="+c.SccacheDir)
		if _, err := exec.LookPath("sccache"); err == nil {
			env = append(env, "RUSTC_WRAPPER=sccache")
		}
	}
	env = append(env, "PYTHONUNBUFFERED=1", "TPUCI_REPO="+w.Repo, "TPUCI_OUT="+w.Out)
	return env
}
