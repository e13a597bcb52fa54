package targets_test

// Journeys on a real SGLang-JAX checkout. They are opt-in: set
// TPUCI_SGLANG_JAX to a clone of github.com/sgl-project/sglang-jax (git
// clone https://github.com/sgl-project/sglang-jax); each test works on a
// throwaway clone of it.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
)

func sglangJAX(t *testing.T) string {
	t.Helper()
	src := os.Getenv("TPUCI_SGLANG_JAX")
	if src == "" {
		t.Skip("TPUCI_SGLANG_JAX unset: point it at a clone of github.com/sgl-project/sglang-jax")
	}
	return src
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// cloneAt makes a throwaway clone of src checked out at rev. Large data
// files a partial clone lacks are left out of the work tree.
func cloneAt(t *testing.T, src, rev string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sglang-jax")
	gitIn(t, ".", "clone", "-q", "--no-checkout", src, dir)
	gitIn(t, dir, "sparse-checkout", "set", "--no-cone", "/*", "!test/srt/lora/lora_data/hf/")
	exec.Command("git", "-C", dir, "checkout", "-q", rev).Run() // absent blobs are reported, the rest is checked out
	return dir
}

// commitFile commits one file's new content on the current branch, also in
// a clone whose index names blobs it lacks.
func commitFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, rel), content)
	gitIn(t, dir, "add", rel)
	tree := gitIn(t, dir, "write-tree", "--missing-ok")
	commit := gitIn(t, dir, "commit-tree", tree, "-p", "HEAD", "-m", "change "+rel)
	gitIn(t, dir, "update-ref", "HEAD", commit)
}

func stageResult(t *testing.T, out, target string) report.TargetResult {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, target+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var st report.TargetResult
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// lint is green on main (its last commit adds no finding) and red on a
// commit that adds an error, naming that finding only.
func TestLintJudgesTheChangeOnSGLangJAX(t *testing.T) {
	src := sglangJAX(t)
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 with pylint")
	}
	repo := cloneAt(t, src, "main")
	env := func(out string) []string {
		return []string{"TPUCI_REPO=" + repo, "TPUCI_PYTHON=/usr/bin/python3", "TPUCI_OUT=" + out}
	}
	out := filepath.Join(t.TempDir(), "main")
	r := run(t, t.TempDir(), env(out), "lint")
	if r.code != 0 || !strings.Contains(r.stderr, "judging its last commit") {
		t.Fatalf("lint on main: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "pre-commit not run:") {
		t.Errorf("no line saying why pre-commit did not run:\n%s", r.stderr)
	}
	version := filepath.Join(repo, "python/sgl_jax/version.py")
	old, err := os.ReadFile(version)
	if err != nil {
		t.Fatal(err)
	}
	commitFile(t, repo, "python/sgl_jax/version.py", string(old)+"\n\ndef _probe():\n    return undefined_probe_name\n")
	out = filepath.Join(t.TempDir(), "bad")
	r = run(t, t.TempDir(), env(out), "lint")
	st := stageResult(t, out, "lint")
	if r.code == 0 || len(st.Failures) != 1 || !strings.Contains(st.Failures[0], "python/sgl_jax/version.py") || !strings.Contains(st.Failures[0], "undefined_probe_name") {
		t.Fatalf("lint on a bad commit: exit %d, failures %q\n%s", r.code, st.Failures, r.stderr)
	}
}

// Suites come from the checkout's run_suite.py: every suite is mapped or
// excluded with a reason today, a checkout 300 commits back plans, and the
// suite:import output loads back.
func TestSuitesReadLiveOnSGLangJAX(t *testing.T) {
	src := sglangJAX(t)
	out := t.TempDir()
	r := run(t, t.TempDir(), []string{"TPUCI_REPO=" + src, "TPUCI_OUT=" + out, "CI=true"}, "config:show")
	if r.code != 0 || !strings.Contains(r.stdout, "with suites from test/srt/run_suite.py") {
		t.Fatalf("config:show under CI=true: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"accuracy-test-tpu-v6e-4 -> accuracy", "performance-test-tpu-v6e-4 -> perf", "unit-test-tpu-v6e-1 -> unitTest1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config:show lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "unmapped suite") {
		t.Errorf("a suite of today's checkout is unmapped:\n%s", r.stdout)
	}

	old := cloneAt(t, src, "HEAD~300")
	r = run(t, t.TempDir(), []string{"TPUCI_REPO=" + old, "TPUCI_OUT=" + out}, "ci:plan")
	if r.code != 0 {
		t.Fatalf("ci:plan 300 commits back: exit %d\n%s", r.code, r.stderr)
	}

	r = run(t, t.TempDir(), nil, "suite:import", src)
	cfg := filepath.Join(t.TempDir(), "tpuci.toml")
	writeFile(t, cfg, r.stdout)
	if r.code != 0 || !strings.Contains(r.stdout, "partitions = 5") {
		t.Fatalf("suite:import: exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, t.TempDir(), []string{"TPUCI_REPO=" + src, "TPUCI_CONFIG=" + cfg}, "config:show")
	if r.code != 0 || !strings.Contains(r.stdout, "unit-test-tpu-v6e-1 -> unitTest1 (") {
		t.Fatalf("imported config does not load back: exit %d\n%s", r.code, r.stderr)
	}
}
