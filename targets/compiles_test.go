package targets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
)

// Compile accounting on the example, as a contributor sees it: unitTest1
// and pallas count real JAX compiles in the summary, <target>.json and
// JUnit, the unchanged kernels compile only before their warm-up, and a
// committed change that makes jit(_gmm) recompile on every call fails
// pallas naming it.
func TestExampleCompileAccounting(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the example's tests and kernel benchmarks")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	env := append(exampleEnv(dir), "TPUCI_DEPS=workflow", "TPUCI_JAX_CACHE="+os.Getenv("TPUCI_JAX_CACHE"))
	for _, target := range []string{"unitTest1", "pallas"} {
		r := run(t, dir, env, target)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", target, r.code, r.stdout, r.stderr)
		}
		st := stageResult(t, out, target)
		tot, ok := st.CompileTotals()
		if !ok || tot.Compiles == 0 || len(tot.AfterWarmup) != 0 {
			t.Fatalf("%s: compile totals %+v (accounted %v)\n%s", target, tot, ok, r.stdout)
		}
		t.Logf("%s: %d compiles, %.2fs, %d cache hits, %d misses, %d cache off, %d after warm-up",
			target, tot.Compiles, tot.CompileSeconds, tot.CacheHits, tot.CacheMisses, tot.CacheOff, len(tot.AfterWarmup))
		junit, err := os.ReadFile(filepath.Join(out, "junit", target+".xml"))
		if err != nil || !strings.Contains(string(junit), `name="tpuci.compiles"`) {
			t.Errorf("%s junit: %v", target, err)
		}
	}
	summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(summary), "COMPILES") && !strings.Contains(string(summary), "compiles") {
		t.Errorf("summary.md: %v\n%s", err, summary)
	}

	repo := comparetest.Repo(t)
	comparetest.RecompileGMM(t, repo)
	bad := filepath.Join(dir, "bad")
	r := run(t, dir, append(exampleEnv(bad), "TPUCI_DEPS=workflow", "TPUCI_JAX_CACHE="+os.Getenv("TPUCI_JAX_CACHE"),
		"TPUCI_REPO="+repo, "TPUCI_KERNELS=megablox_gmm"), "pallas")
	if all := r.stdout + r.stderr; r.code == 0 || !strings.Contains(all, "FAIL megablox_gmm: compiled ") || !strings.Contains(all, "jit(_gmm)") {
		t.Fatalf("the recompiling commit: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	st := stageResult(t, filepath.Join(bad, "out"), "pallas")
	if len(st.Failures) != 1 || !strings.Contains(st.Failures[0], "after warm-up: 7× jit(_gmm) (ShapedArray(float32[512,256])") {
		t.Fatalf("failures %q", st.Failures)
	}
}
