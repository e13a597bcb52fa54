package targets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
)

// forged is the text every hostile value tries to make the runner read as
// a command of its own.
const forged = "INJECTED"

// hostileRepo is a git copy of the example with two commits, the second
// adding a file whose name holds a newline and a workflow command.
type hostileRepo struct {
	dir, base, head string
}

func newHostileRepo(t *testing.T) hostileRepo {
	t.Helper()
	dir := comparetest.Repo(t)
	base := comparetest.Git(t, dir, "rev-parse", "HEAD")
	writeFile(t, filepath.Join(dir, "docs", "x\n::warning::"+forged+".md"), "a file name from a pull request\n")
	comparetest.Git(t, dir, "add", "-A")
	comparetest.Git(t, dir, "commit", "-q", "-m", "hostile file name")
	return hostileRepo{dir: dir, base: base, head: comparetest.Git(t, dir, "rev-parse", "HEAD")}
}

// payload writes a pull_request event with the given base and head SHAs,
// base ref and labels, and returns its path.
func payload(t *testing.T, dir, base, head, ref string, labels ...string) string {
	t.Helper()
	var ls []map[string]string
	for _, l := range labels {
		ls = append(ls, map[string]string{"name": l})
	}
	ev := map[string]any{"action": "synchronize", "pull_request": map[string]any{
		"number": 7, "draft": false, "labels": ls,
		"base": map[string]string{"sha": base, "ref": ref}, "head": map[string]string{"sha": head},
	}}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "event.json")
	writeFile(t, path, string(data))
	return path
}

// hostileCase is one value from outside fed through a real entry point.
type hostileCase struct {
	name string
	args []string
	// env builds the case's variables; outside is a directory no run may
	// touch, dir the case's own scratch directory.
	env func(t *testing.T, r hostileRepo, outside, dir string) []string
	// code is the exit code; first is in the first line of the error
	// (empty: the run must succeed).
	code  int
	first string
	// early: the refusal comes before any target starts.
	early bool
	// shown must appear in the output (a hostile value printed quoted).
	shown string
}

func hostileCases() []hostileCase {
	pr := func(base, head, ref string, labels ...string) func(*testing.T, hostileRepo, string, string) []string {
		return func(t *testing.T, r hostileRepo, outside, dir string) []string {
			b := strings.ReplaceAll(strings.ReplaceAll(base, "BASE", r.base), "OUTSIDE", outside)
			h := strings.ReplaceAll(strings.ReplaceAll(head, "HEAD", r.head), "OUTSIDE", outside)
			return []string{"GITHUB_EVENT_NAME=pull_request", "GITHUB_EVENT_PATH=" + payload(t, dir, b, h, ref, labels...)}
		}
	}
	vars := func(kv ...string) func(*testing.T, hostileRepo, string, string) []string {
		return func(t *testing.T, r hostileRepo, outside, dir string) []string {
			var env []string
			for _, v := range kv {
				env = append(env, strings.ReplaceAll(strings.ReplaceAll(v, "OUTSIDE", outside), "DIR", dir))
			}
			return env
		}
	}
	config := func(body string, kv ...string) func(*testing.T, hostileRepo, string, string) []string {
		return func(t *testing.T, r hostileRepo, outside, dir string) []string {
			path := filepath.Join(dir, "tpuci.toml")
			writeFile(t, path, body)
			return append(vars(kv...)(t, r, outside, dir), "TPUCI_CONFIG="+path)
		}
	}
	evilSuite := "[[suite]]\nname = \"evil\"\ntarget = \"unitTest1\"\nfiles = [\n  { path = %q, minutes = 1 },\n]\n"
	return []hostileCase{
		{name: "base sha is a git option", args: []string{"ci:plan"}, env: pr("--output=OUTSIDE/pwned", "HEAD", "main"),
			code: 1, first: `pull_request.base.sha: "--output=`},
		{name: "head sha is a git option", args: []string{"ci:plan"}, env: pr("BASE", "--output=OUTSIDE/pwned", "main"),
			code: 1, first: `pull_request.head.sha: "--output=`},
		{name: "base ref is a git option", args: []string{"ci:plan"}, env: pr("BASE", "HEAD", "--upload-pack=touch OUTSIDE/pwned"),
			code: 1, first: `pull_request.base.ref: "--upload-pack=`},
		{name: "a label forges a workflow command", args: []string{"ci:plan"}, env: pr("BASE", "HEAD", "main", "run-ci", "x\n::warning::"+forged),
			shown: `"x\n::warning::` + forged + `"`},
		{name: "a label forges a command on GitHub", args: []string{"ci:plan"},
			env: func(t *testing.T, r hostileRepo, outside, dir string) []string {
				return append(pr("BASE", "HEAD", "main", "run-ci", "x\n::warning::"+forged, "##[error]"+forged)(t, r, outside, dir),
					"GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary.md"))
			}},
		{name: "TPUCI_LABELS forges a command", args: []string{"ci:plan"}, env: vars("TPUCI_BASE=HEAD~1", "TPUCI_LABELS=a,x\n::notice::"+forged),
			shown: `"x\n::notice::` + forged + `"`},
		{name: "a changed file name forges a command", args: []string{"ci:plan"}, env: vars("TPUCI_BASE=HEAD~1"),
			shown: `"docs/x\n::warning::` + forged + `.md"`},
		{name: "TPUCI_BASE is a git option", args: []string{"ci:plan"}, env: vars("TPUCI_BASE=--output=OUTSIDE/pwned"),
			code: 1, first: `TPUCI_BASE="--output=`},
		{name: "TPUCI_BASE does not exist", args: []string{"ci:plan"}, env: vars("TPUCI_BASE=nosuchref"),
			code: 1, first: `ci:plan: TPUCI_BASE="nosuchref" is not a commit of`},
		{name: "TPUCI_COMPARE is a git option", args: []string{"pallas"}, env: vars("TPUCI_COMPARE=--output=OUTSIDE/pwned"),
			code: 1, first: `TPUCI_COMPARE="--output=`, early: true},
		{name: "TPUCI_LINT_BASE is a git option", args: []string{"lint"}, env: vars("TPUCI_LINT_BASE=--output=OUTSIDE/pwned"),
			code: 1, first: `TPUCI_LINT_BASE="--output=`, early: true},
		{name: "TPUCI_NIGHTLY_GIT is a git option", args: []string{"nightly"}, env: vars("TPUCI_NIGHTLY_GIT=--upload-pack=touch OUTSIDE/pwned"),
			code: 1, first: `TPUCI_NIGHTLY_GIT="--upload-pack=`, early: true},
		{name: "a suite path climbs out", args: []string{"unitTest1"}, env: config(strings.Replace(evilSuite, "%q", `"../../../../etc/passwd"`, 1)),
			code: 1, first: `tpuci.toml:5:5: suite[0].files[0].path: "../../../../etc/passwd" leads outside the checkout`, early: true},
		{name: "a suite path is a symlink out", args: []string{"unitTest1"},
			env: func(t *testing.T, r hostileRepo, outside, dir string) []string {
				// The link lives in the case's copy of the repository, so
				// the shared checkout stays as it was.
				repo := filepath.Join(dir, "repo")
				comparetest.Git(t, dir, "clone", "-q", r.dir, repo)
				if err := os.Symlink("/etc/passwd", filepath.Join(repo, "python", "evil_test.py")); err != nil {
					t.Fatal(err)
				}
				return append(config(strings.Replace(evilSuite, "%q", `"python/evil_test.py"`, 1))(t, r, outside, dir), "TPUCI_REPO="+repo)
			},
			code: 1, first: `suite[0].files[0].path: "python/evil_test.py" leads outside the checkout`, early: true},
		{name: "an empty config", args: []string{"unitTest1"}, env: config("# nothing\n"),
			code: 1, first: "tpuci.toml: defines nothing", early: true},
		{name: "package is code", args: []string{"lint"}, env: config("[repo]\npackage = \"os; import shutil\"\n" + strings.Replace(evilSuite, "%q", `"python/sgl_jax/test/test_attention.py"`, 1)),
			code: 1, first: `repo.package: "os; import shutil" is not a Python module name`, early: true},
		{name: "TPUCI_SELECT names a misspelt file", args: []string{"unitTest1"},
			env: func(t *testing.T, r hostileRepo, outside, dir string) []string {
				writeFile(t, filepath.Join(dir, "select.txt"), "python/sgl_jax/test/test_atention.py\n")
				return []string{"TPUCI_SELECT=" + filepath.Join(dir, "select.txt")}
			},
			code: 1, first: "names 1 file(s) that no suite of", early: true},
		{name: "TPUCI_SELECT names another target's file", args: []string{"unitTest1"},
			env: func(t *testing.T, r hostileRepo, outside, dir string) []string {
				writeFile(t, filepath.Join(dir, "select.txt"), "test/srt/test_generate.py\n")
				return []string{"TPUCI_SELECT=" + filepath.Join(dir, "select.txt")}
			},
			code: 1, first: "selects 1 file(s), none of them in a suite of unitTest1", early: true},
		{name: "more partitions than files", args: []string{"e2e"}, env: vars("TPUCI_PARTITION=0/9"),
			code: 1, first: "suite e2e-test-tpu-v6e-1: TPUCI_PARTITION=0/9 asks for 9 parts of 3 files: use a COUNT of at most 3", early: true},
		{name: "TPUCI_SUITE names no suite", args: []string{"e2e"}, env: vars("TPUCI_SUITE=nosuch"),
			code: 1, first: `TPUCI_SUITE names "nosuch"`, early: true},
		{name: "TPUCI_KERNELS names no kernel", args: []string{"pallas"}, env: vars("TPUCI_KERNELS=nosuch"),
			code: 1, first: `unknown kernel "nosuch" in TPUCI_KERNELS`, early: true},
		{name: "TPUCI_LOCK_WAIT is negative", args: []string{"e2e"}, env: vars("TPUCI_LOCK_WAIT=-5m"),
			code: 1, first: "TPUCI_LOCK_WAIT=-5m: negative", early: true},
		{name: "TPUCI_ONLY names another target's file", args: []string{"unitTest1"}, env: vars("TPUCI_ONLY=test/srt/test_generate.py"),
			code: 1, first: "TPUCI_ONLY=test/srt/test_generate.py: test/srt/test_generate.py is not a test file unitTest1 runs here: " +
				"it belongs to e2e (suite e2e-test-tpu-v6e-1): run TPUCI_ONLY=test/srt/test_generate.py go tool mage e2e", early: true},
		{name: "TPUCI_ONLY names a misspelt file", args: []string{"e2e"}, env: vars("TPUCI_ONLY=test/srt/test_generat.py"),
			code: 1, first: "lists it (did you mean test/srt/test_generate.py?); `go tool mage ci:plan -explain` lists the files", early: true},
		{name: "TPUCI_ONLY names a file of another share", args: []string{"unitTest1"},
			env:  vars("TPUCI_SUITE=unit-test-tpu-v6e-1", "TPUCI_PARTITION=1/2", "TPUCI_ONLY=python/sgl_jax/test/test_flash_attention.py"),
			code: 1, first: "it is in another share than TPUCI_PARTITION=1/2 of suite unit-test-tpu-v6e-1: unset TPUCI_PARTITION", early: true},
		{name: "TPUCI_ONLY climbs out", args: []string{"unitTest1"}, env: vars("TPUCI_ONLY=../../../../etc/passwd"),
			code: 1, first: "TPUCI_ONLY=../../../../etc/passwd: ../../../../etc/passwd: not a clean repository path", early: true},
		{name: "TPUCI_ONLY test is an option", args: []string{"unitTest1"},
			env:  vars("TPUCI_ONLY=python/sgl_jax/test/test_sampling_params.py::--junitxml=OUTSIDE/pwned.xml"),
			code: 1, first: "::--junitxml=", early: true},
		{name: "TPUCI_ONLY names a method a unittest file does not run", args: []string{"e2e"},
			env:  vars("TPUCI_ONLY=test/srt/test_eval_small.py::TestEvalSmall.test_other"),
			code: 1, first: "names test/srt/test_eval_small.py::TestEvalSmall.test_other, which is not one of the methods the suite runs of it", early: true},
		{name: "TPUCI_ONLY with pr", args: []string{"pr"}, env: vars("TPUCI_ONLY=test/srt/test_generate.py"),
			code: 1, first: "pr: TPUCI_ONLY=test/srt/test_generate.py names test files of one target, and pr runs several: " +
				"run the target that has it: TPUCI_ONLY=test/srt/test_generate.py go tool mage e2e", early: true},
	}
}

// Each hostile value goes through the real binary: it exits with the
// documented code and first error line, creates or changes nothing outside
// its own directories, and prints no line the runner would read as a
// command tpuci did not mean.
func TestHostileInput(t *testing.T) {
	r := newHostileRepo(t)
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			outside, dir := t.TempDir(), t.TempDir()
			out := filepath.Join(dir, "out")
			env := append([]string{"TPUCI_REPO=" + r.dir, "TPUCI_OUT=" + out}, c.env(t, r, outside, dir)...)
			res := run(t, dir, env, c.args...)
			all := res.stdout + res.stderr
			if res.code != c.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, c.code, res.stdout, res.stderr)
			}
			if c.first != "" {
				// A line cut because the summary shows the whole error has
				// its rest there.
				if line := errorLine(res.stderr); !strings.Contains(line, c.first) &&
					(!strings.HasSuffix(line, "see above)") || !strings.Contains(flat(all), c.first)) {
					t.Errorf("first error line %q lacks %q\nstderr:\n%s", line, c.first, res.stderr)
				}
			}
			if c.early && strings.Contains(all, "==> ") {
				t.Errorf("a target ran before the refusal:\n%s", all)
			}
			if c.shown != "" && !strings.Contains(all, c.shown) {
				t.Errorf("output lacks %s:\n%s", c.shown, all)
			}
			for _, line := range strings.Split(all, "\n") {
				if forgedCommand(line) {
					t.Errorf("the runner would read a command tpuci did not mean: %q", line)
				}
			}
			assertEmpty(t, outside)
			if st := comparetest.Git(t, r.dir, "status", "--porcelain", "--ignored"); st != "" {
				t.Errorf("the checkout changed:\n%s", st)
			}
		})
	}
}

// errorLine is the error mage prints for a failed target, its wrapped
// lines joined: no wider than the terminal.
func errorLine(stderr string) string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		switch {
		case strings.HasPrefix(l, "Error: "):
			lines = []string{l}
		case len(lines) > 0 && strings.HasPrefix(l, "    "):
			lines = append(lines, strings.TrimSpace(l))
		case len(lines) > 0:
			return strings.Join(lines, " ")
		}
	}
	return strings.Join(lines, " ")
}

// flat is s with its runs of white space one space: wrapped text whole.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// forgedCommand reports a line the runner reads as a workflow command that
// carries hostile text: "::" after blanks with the forged text as its
// data, or, on a line that is no such command, a legacy "##[" anywhere.
// tpuci's own commands carry the same text only escaped (%0A), never as
// their data.
func forgedCommand(line string) bool {
	rest, ok := strings.CutPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::")
	if !ok {
		return strings.Contains(line, "##[")
	}
	_, data, _ := strings.Cut(rest, "::")
	return strings.HasPrefix(data, forged)
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("created outside the run: %s", filepath.Join(dir, e.Name()))
	}
}
