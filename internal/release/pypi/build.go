package pypi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/pylex"
	"github.com/sgl-project/tpuci/internal/textline"
)

// MissingError says a tool the step needs is not installed, and how to
// install it.
type MissingError struct{ Tool, Install string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not available: install it with `%s`", e.Tool, e.Install)
}

func install(python, module, debian string) string {
	if strings.HasPrefix(python, "/usr/bin/") {
		return "apt-get install " + debian
	}
	return python + " -m pip install " + module
}

// BuildOptions describe one python -m build run.
type BuildOptions struct {
	Python    string        // interpreter that has the build module
	Source    string        // directory holding pyproject.toml
	Work      string        // scratch directory: the source is copied here so the checkout stays clean
	Isolation bool          // false: --no-isolation (offline, uses the interpreter's setuptools)
	Env       []string      // e.g. SETUPTOOLS_SCM_PRETEND_VERSION=0.5.3
	Log       io.Writer     // build output
	Timeout   time.Duration // default 15m
	// Epoch makes the build reproducible: SOURCE_DATE_EPOCH for the
	// wheel, and the sdist normalised to it. Zero leaves both alone.
	Epoch time.Time
}

// Build runs python -m build --sdist --wheel on a copy of the source and
// returns the directory holding the distributions.
func Build(ctx context.Context, o BuildOptions) (string, error) {
	if err := probe(ctx, o.Python, "build"); err != nil {
		return "", &MissingError{Tool: "the build module for " + o.Python, Install: install(o.Python, "build", "python3-build")}
	}
	if _, err := os.Stat(filepath.Join(o.Source, "pyproject.toml")); err != nil {
		return "", fmt.Errorf("pypi: build: %s has no pyproject.toml (check [repo].package_dir)", o.Source)
	}
	src := filepath.Join(o.Work, "src")
	dist := filepath.Join(o.Work, "dist")
	for _, d := range []string{src, dist} {
		if err := os.RemoveAll(d); err != nil {
			return "", fmt.Errorf("pypi: build: clear %s: %w", d, err)
		}
	}
	if err := copyTree(o.Source, src); err != nil {
		return "", err
	}
	argv := []string{o.Python, "-m", "build", "--sdist", "--wheel", "--outdir", dist}
	if !o.Isolation {
		argv = append(argv, "--no-isolation")
	}
	argv = append(argv, src)
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 15 * time.Minute
	}
	var tail tailBuffer
	w := io.MultiWriter(orDiscard(o.Log), &tail)
	fmt.Fprintf(orDiscard(o.Log), "$ %s\n", proc.Quote(argv))
	env := o.Env
	if !o.Epoch.IsZero() {
		env = append(append([]string{}, env...), EpochEnv(o.Epoch))
	}
	if _, err := proc.Run(ctx, proc.Cmd{Argv: argv, Dir: o.Work, Env: env, Stdout: w, Stderr: w, Timeout: timeout}); err != nil {
		return "", fmt.Errorf("pypi: build: %w: %s", err, tail.last())
	}
	if !o.Epoch.IsZero() {
		sdists, _ := filepath.Glob(filepath.Join(dist, "*.tar.gz"))
		for _, s := range sdists {
			if err := NormalizeSdist(s, o.Epoch); err != nil {
				return "", err
			}
		}
	}
	return dist, nil
}

// checkModule refuses a module name (from the config) that is not one:
// only such a name is put into the code that python -c runs.
func checkModule(module string) error {
	if !pylex.IsModuleName(module) {
		return fmt.Errorf("pypi: %q is not a Python module name ([repo].package, e.g. sgl_jax)", module)
	}
	return nil
}

// probe checks that python can import module.
func probe(ctx context.Context, python, module string) error {
	if err := checkModule(module); err != nil {
		return err
	}
	_, err := proc.Run(ctx, proc.Cmd{Argv: []string{python, "-c", "import " + module}, Timeout: time.Minute})
	return err
}

// skipCopy are build leftovers and caches that must not reach a build.
func skipCopy(name string, dir bool) bool {
	switch {
	case name == ".git" || name == "__pycache__" || name == ".venv" || name == ".pytest_cache":
		return true
	case dir && (name == "build" || name == "dist" || strings.HasSuffix(name, ".egg-info")):
		return true
	}
	return strings.HasSuffix(name, ".pyc")
}

func copyTree(from, to string) error {
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if rel != "." && skipCopy(d.Name(), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(to, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pypi: build: copy %s: %w", from, err)
	}
	return nil
}

// Twine finds twine: python -m twine when python has it, else twine on PATH.
func Twine(ctx context.Context, python string) ([]string, error) {
	if python != "" && probe(ctx, python, "twine") == nil {
		return []string{python, "-m", "twine"}, nil
	}
	if p, err := exec.LookPath("twine"); err == nil {
		return []string{p}, nil
	}
	return nil, &MissingError{Tool: "twine", Install: install(python, "twine", "twine")}
}

// TwineCheck runs twine check on the files.
func TwineCheck(ctx context.Context, twine, files []string, log io.Writer) error {
	argv := append(append(append([]string{}, twine...), "check"), files...)
	var out bytes.Buffer
	w := io.MultiWriter(orDiscard(log), &out)
	fmt.Fprintf(orDiscard(log), "$ %s\n", proc.Quote(argv))
	if _, err := proc.Run(ctx, proc.Cmd{Argv: argv, Env: []string{"NO_COLOR=1"}, Stdout: w, Stderr: w, Timeout: 5 * time.Minute}); err != nil {
		return fmt.Errorf("pypi: twine check: %w: %s", err, textline.Tail(out.String(), 3))
	}
	return nil
}

// SmokeOptions describe the venv smoke test of a wheel.
type SmokeOptions struct {
	Python  string // creates the venv
	Wheel   string
	Import  string // import package, e.g. sgl_jax
	Want    pep440.Version
	Work    string // scratch directory
	Log     io.Writer
	Timeout time.Duration // per step; default 5m
}

// Smoke installs the wheel alone (no index, no dependencies) into a fresh
// venv and imports the package from outside the checkout; its
// __version__ must equal the release version. It returns what the
// package reported.
func Smoke(ctx context.Context, o SmokeOptions) (string, error) {
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	if err := checkModule(o.Import); err != nil {
		return "", err
	}
	venv := filepath.Join(o.Work, "venv")
	if err := os.RemoveAll(venv); err != nil {
		return "", fmt.Errorf("pypi: smoke: clear %s: %w", venv, err)
	}
	// The venv's interpreter must not see the checkout or a user site.
	env := []string{"PYTHONPATH=", "PYTHONNOUSERSITE=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1"}
	run := func(step string, argv ...string) (string, error) {
		var out bytes.Buffer
		w := io.MultiWriter(orDiscard(o.Log), &out)
		fmt.Fprintf(orDiscard(o.Log), "$ %s\n", proc.Quote(argv))
		_, err := proc.Run(ctx, proc.Cmd{Argv: argv, Dir: o.Work, Env: env, Stdout: w, Stderr: w, Timeout: timeout})
		if err != nil {
			return "", fmt.Errorf("pypi: smoke: %s: %w: %s", step, err, textline.Tail(out.String(), 3))
		}
		return out.String(), nil
	}
	if _, err := run("create a venv", o.Python, "-m", "venv", venv); err != nil {
		if strings.Contains(err.Error(), "ensurepip") {
			return "", &MissingError{Tool: "venv with pip for " + o.Python, Install: install(o.Python, "virtualenv", "python3-venv")}
		}
		return "", err
	}
	py := filepath.Join(venv, "bin", "python")
	if _, err := run("install the wheel", py, "-m", "pip", "install", "--no-index", "--no-deps", "--no-cache-dir", o.Wheel); err != nil {
		return "", err
	}
	const marker = "tpuci-version="
	out, err := run("import "+o.Import, py, "-I", "-c", fmt.Sprintf("import %s as m; print(%q + str(m.__version__))", o.Import, marker))
	if err != nil {
		return "", err
	}
	got := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, marker) {
			got = strings.TrimSpace(strings.TrimPrefix(l, marker))
		}
	}
	v, err := pep440.Parse(got)
	if err != nil || !v.Equal(o.Want) {
		return got, fmt.Errorf("pypi: smoke: the installed %s reports __version__ %q, want %s", o.Import, got, o.Want)
	}
	return got, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// tailBuffer keeps the last few KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 8192 {
		t.b = t.b[len(t.b)-8192:]
	}
	return len(p), nil
}

func (t *tailBuffer) last() string { return textline.Tail(string(t.b), 3) }
