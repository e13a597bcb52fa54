package targets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
)

// exampleEnv runs on a fresh extraction of the bundled example in dir.
func exampleEnv(dir string) []string {
	return []string{"TPUCI_OUT=" + filepath.Join(dir, "out"), "XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "TPUCI_LOCK_FILE=" + filepath.Join(dir, "lock")}
}

// What a newcomer is told works on the example, as in a clone: a second
// call reuses the lint that passed for the commit, and
// TPUCI_COMPARE=HEAD~1 compares the kernels with the previous commit,
// which left them alone.
func TestExampleReusesLintAndComparesHeadParent(t *testing.T) {
	dir := t.TempDir()
	env := exampleEnv(dir)
	if r := run(t, dir, env, "lint"); r.code != 0 {
		t.Fatalf("lint: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := run(t, dir, append(env, "TPUCI_COMPARE=HEAD~1", "TPUCI_COMPARE_ROUNDS=4"), "pallas")
	all := r.stdout + r.stderr
	if !strings.Contains(all, "lint: already passed for this commit") {
		t.Errorf("lint ran again:\n%s", all)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out", "pallas.json"))
	var st report.TargetResult
	if err != nil || json.Unmarshal(data, &st) != nil || r.code != 0 || st.Status != report.Passed || len(st.Cases) == 0 {
		t.Fatalf("pallas: exit %d (%v)\n%s", r.code, err, all)
	}
	if !strings.Contains(r.stdout, "vs HEAD~1 (") || !strings.Contains(r.stdout, "no change") {
		t.Errorf("no comparison with HEAD~1:\n%s", r.stdout)
	}
}

// ci:plan on the example lists the changes of HEAD against main, like on
// any checkout.
func TestPlanOnExampleListsChanges(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, exampleEnv(dir), "ci:plan")
	if r.code != 0 || !strings.Contains(r.stdout, "against main@") ||
		!strings.Contains(r.stdout, "M python/sgl_jax/srt/sampling/sampling_params.py") || strings.Contains(r.stdout, "unknown") {
		t.Fatalf("ci:plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
