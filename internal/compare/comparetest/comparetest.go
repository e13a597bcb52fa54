// Package comparetest makes git copies of the bundled example for tests
// of same-host comparisons: committed revisions a comparison can check out.
package comparetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/example"
)

// Repo is a git copy of the example with one commit.
func Repo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed")
		}
		t.Skip("git is not installed")
	}
	root, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The tests want one commit on main, not the example's own history.
	if err := os.RemoveAll(filepath.Join(root, ".git")); err != nil {
		t.Fatal(err)
	}
	Git(t, root, "init", "-q", "-b", "main")
	Git(t, root, "add", "-A")
	Git(t, root, "commit", "-q", "-m", "example")
	return root
}

// Edit replaces old by new in a file of repo (once; it must be there)
// and commits the change.
func Edit(t *testing.T, repo, file, old, new, msg string) {
	t.Helper()
	path := filepath.Join(repo, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q", file, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	Git(t, repo, "commit", "-q", "-am", msg)
}

// Git runs git in dir with a fixed identity.
func Git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=tpuci test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// SlowGMM commits a real 2x slowdown of the example's Pallas grouped
// matmul: gmm runs its kernel twice and returns the second result.
func SlowGMM(t *testing.T, repo string) {
	t.Helper()
	call := "    return _gmm(lhs, rhs, group_sizes, block_m, block_n)\n"
	Edit(t, repo, "python/sgl_jax/srt/kernels/gmm/megablox_gmm.py", call,
		"    _gmm(lhs, rhs, group_sizes, block_m, block_n).block_until_ready()  # computed twice\n"+call,
		"gmm: run the kernel twice")
}

// RecompileGMM commits a change that makes the example's jitted grouped
// matmul (jit(_gmm)) recompile on every call: a static argument that
// counts the calls, so no two calls share a compiled executable.
func RecompileGMM(t *testing.T, repo string) {
	t.Helper()
	const file = "python/sgl_jax/srt/kernels/gmm/megablox_gmm.py"
	for _, e := range [][2]string{
		{`static_argnames=("group_sizes", "block_m", "block_n"))
def _gmm(lhs, rhs, group_sizes, block_m, block_n):`, `static_argnames=("group_sizes", "block_m", "block_n", "call"))
def _gmm(lhs, rhs, group_sizes, block_m, block_n, call=0):`},
		{"    return _gmm(lhs, rhs, group_sizes, block_m, block_n)\n",
			"    return _gmm(lhs, rhs, group_sizes, block_m, block_n, call=next(_CALLS))\n"},
		{"import functools\n", "import functools\nimport itertools\n"},
		{"\n\ndef _gmm_kernel(", "\n_CALLS = itertools.count()\n\n\ndef _gmm_kernel("},
	} {
		replace(t, filepath.Join(repo, file), e[0], e[1])
	}
	Git(t, repo, "commit", "-q", "-am", "gmm: count the calls (a static argument: one compile per call)")
}

// replace replaces old by new in a file, once; it must be there.
func replace(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
