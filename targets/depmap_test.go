package targets_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/example"
)

// On the example: runs that record (here TPUCI_RECORD_DURATIONS=1) store
// the modules each test file loaded; ci:plan then drops a test whose
// fresh record misses every changed module, even though the import graph
// reaches it, and lets the graph decide for a test whose record is stale.
func TestRecordedDependencyMapSelects(t *testing.T) {
	root, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(t.TempDir(), "repo")
	if out, err := exec.Command("cp", "-a", root, repo).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	// One commit on main of its own, not the example's history.
	if err := os.RemoveAll(filepath.Join(repo, ".git")); err != nil {
		t.Fatal(err)
	}
	// A lazy import that never runs: the graph counts it, a record does not.
	utils := filepath.Join(repo, "python/sgl_jax/srt/utils/common_utils.py")
	src, _ := os.ReadFile(utils)
	writeFile(t, utils, string(src)+"\n\ndef _debug_moe():\n    from sgl_jax.srt.layers import moe\n\n    return moe\n")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.email=ci@example.com", "-c", "user.name=ci"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-qm", "example")
	hist := filepath.Join(t.TempDir(), "history")
	env := []string{"TPUCI_REPO=" + repo, "TPUCI_NIGHTLY_HISTORY=" + hist, "TPUCI_DEPS=workflow", "TPUCI_FORCE=1", "TPUCI_SUITE=unit-test-tpu-v6e-1"}
	record := func(sel string) {
		t.Helper()
		selFile := filepath.Join(t.TempDir(), "sel.txt")
		writeFile(t, selFile, sel)
		r := run(t, repo, append(env, "TPUCI_OUT="+filepath.Join(t.TempDir(), "out"), "TPUCI_RECORD_DURATIONS=1", "TPUCI_SELECT="+selFile), "unitTest1")
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "recorded the modules") {
			t.Fatalf("unitTest1: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	}
	// test_rotary_embedding's record is a month old; the others are fresh.
	record("python/sgl_jax/test/test_rotary_embedding.py\n")
	recs, _ := filepath.Glob(filepath.Join(hist, "depmap", "*.json"))
	if len(recs) != 1 {
		t.Fatalf("records %v", recs)
	}
	backdate(t, recs[0], 30*24*time.Hour)
	record("python/sgl_jax/test/test_attention.py\npython/sgl_jax/test/test_megablox_gmm.py\n")

	moe := filepath.Join(repo, "python/sgl_jax/srt/layers/moe.py")
	src, _ = os.ReadFile(moe)
	writeFile(t, moe, string(src)+"\n# changed\n")
	r := run(t, repo, append(env, "TPUCI_OUT="+filepath.Join(t.TempDir(), "out"), "TPUCI_BASE=main", "TPUCI_LABELS=run-ci"), "ci:plan", "-explain")
	if r.code != 0 {
		t.Fatalf("ci:plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// A file's entry, its reason's wrapped lines (indented deeper) joined.
	line := func(test string) string {
		lines := strings.Split(r.stdout, "\n")
		for i, l := range lines {
			if strings.Contains(l, "/"+test+" (") {
				entry := strings.TrimSpace(l)
				for _, c := range lines[i+1:] {
					if !strings.HasPrefix(c, "        ") {
						break
					}
					entry += " " + strings.TrimSpace(c)
				}
				return entry
			}
		}
		t.Fatalf("%s not in the plan:\n%s", test, r.stdout)
		return ""
	}
	if l := line("test_attention.py"); !strings.HasPrefix(l, "- ") || !strings.Contains(l, "loaded none of the changed files, as recorded by its run at") {
		t.Errorf("fresh record without moe.py should drop the test: %s", l)
	}
	if l := line("test_megablox_gmm.py"); !strings.HasPrefix(l, "+ ") || !strings.Contains(l, "loaded python/sgl_jax/srt/layers/moe.py (changed), as recorded") {
		t.Errorf("fresh record with moe.py should keep the test: %s", l)
	}
	if l := line("test_rotary_embedding.py"); !strings.HasPrefix(l, "+ ") || !strings.Contains(l, "imports") {
		t.Errorf("a stale record leaves the test to the import graph, which selects it: %s", l)
	}
}

// backdate moves a dependency record's date into the past.
func backdate(t *testing.T, path string, by time.Duration) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	rec["date"] = time.Now().Add(-by).UTC().Format(time.RFC3339)
	data, _ = json.Marshal(rec)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
