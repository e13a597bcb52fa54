package targets_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/report"
)

// cpuServerConfig is the README's tpuci.toml for SGLang-JAX's real server
// on the CPU: the block after its marker line.
func cpuServerConfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- the CPU server config: targets/sglang_jax_server_test.go runs this block -->\n```toml\n")
	block, _, closed := strings.Cut(rest, "```\n")
	if !ok || !closed {
		t.Fatal("README.md lacks the CPU server config block")
	}
	return block
}

// gsm8kLines are GSM8K-shaped questions for the evaluation of random weights.
const gsm8kLines = `{"question": "Tom has 3 apples and buys 4 more. How many apples does he have?", "answer": "3 + 4 = 7\n#### 7"}
{"question": "A box holds 6 eggs. How many eggs are in 2 boxes?", "answer": "6 * 2 = 12\n#### 12"}
{"question": "Ann had 10 dollars and spent 4. How much is left?", "answer": "10 - 4 = 6\n#### 6"}
{"question": "Each of 5 cats has 4 legs. How many legs in total?", "answer": "5 * 4 = 20\n#### 20"}
{"question": "There are 9 birds and 2 fly away. How many remain?", "answer": "9 - 2 = 7\n#### 7"}
{"question": "A pen costs 2 dollars. What do 8 pens cost?", "answer": "2 * 8 = 16\n#### 16"}
`

// leftovers lists the processes still running in dir (a server's working
// directory, which its children inherit) or naming it on their command line.
func leftovers(dirs ...string) []string {
	var found []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		line := strings.ReplaceAll(string(cmdline), "\x00", " ")
		for _, d := range dirs {
			if cwd == d || strings.HasPrefix(cwd, d+"/") || strings.Contains(line, d) {
				found = append(found, filepath.Base(p)+": "+line)
				break
			}
		}
	}
	return found
}

// noLeftovers fails the test when a process of the server outlived the run
// (after a short grace for the kernel to reap what was just killed).
func noLeftovers(t *testing.T, step string, dirs ...string) {
	t.Helper()
	var left []string
	for range 20 {
		if left = leftovers(dirs...); len(left) == 0 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Errorf("%s left processes behind:\n%s", step, strings.Join(left, "\n"))
}

var (
	readyRE      = regexp.MustCompile(`server cpu-tiny-qwen3: ready after (\S+)`)
	precompileRE = regexp.MustCompile(`\[(EXTEND|DECODE)\] Precompile finished in \d+ secs`)
)

// SGLang-JAX's real launch_server serves tpuci's generated tiny Qwen3 on
// the CPU with random weights (the README's config): perf and accuracy
// each record a baseline for this host and then pass against it, with the
// cache-miss check on; no server process outlives a run, nor a SIGTERM to
// tpuci while the server is still compiling. Each run starts the server
// (a minute or two on 2 cores): go test -timeout 60m.
func TestRealServerOnCPUOnSGLangJAX(t *testing.T) {
	src := sglangJAX(t)
	python := os.Getenv("TPUCI_SGLANG_JAX_PYTHON")
	if python == "" {
		t.Skip("TPUCI_SGLANG_JAX_PYTHON unset: point it at a python with SGLang-JAX's python[cpu] dependencies")
	}
	needs.PythonModules(t, python, "scripts/bootstrap.sh with TPUCI_PY_EXTRAS=cpu", "jax", "tokenizers", "transformers")
	repo := cloneAt(t, src, "HEAD")
	writeFile(t, filepath.Join(repo, "tpuci.toml"), cpuServerConfig(t))
	writeFile(t, filepath.Join(repo, "tpuci/eval_data/gsm8k/test.jsonl"), gsm8kLines)
	out := filepath.Join(t.TempDir(), "out")
	env := []string{"TPUCI_REPO=" + repo, "TPUCI_OUT=" + out, "TPUCI_PYTHON=" + python, "TPUCI_DEPS=workflow",
		"TPUCI_OFFLINE=1", "TPUCI_LOCK_FILE=" + filepath.Join(t.TempDir(), "lock")}
	step := func(target string) result {
		t.Helper()
		start := time.Now()
		r := run(t, repo, env, target)
		t.Logf("%s: exit %d in %s", target, r.code, time.Since(start).Round(time.Second))
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", target, r.code, tail(r.stdout, 4000), tail(r.stderr, 6000))
		}
		noLeftovers(t, target, repo, out)
		return r
	}
	for _, gate := range []string{"perf", "accuracy"} {
		step(gate)
		step(gate + ":baseline")
		r := step(gate)
		st := stageResult(t, out, gate)
		if st.Status != report.Passed || len(st.Cases) != 1 || st.Cases[0].Status != report.Passed {
			t.Fatalf("%s against its own baseline: %s, cases %+v\n%s", gate, st.Status, st.Cases, tail(r.stdout, 4000))
		}
		if m := readyRE.FindStringSubmatch(r.stdout + r.stderr); m != nil {
			t.Logf("%s: server ready after %s; case %s in %s", gate, m[1], st.Cases[0].Name, st.Cases[0].Duration.Round(time.Second))
		}
		if data, err := os.ReadFile(filepath.Join(out, "logs", gate, "server-cpu-tiny-qwen3.log")); err == nil {
			t.Logf("%s: %s", gate, strings.Join(precompileRE.FindAllString(string(data), -1), "; "))
		}
		for _, tb := range st.Tables {
			t.Logf("%s, %s:\n%s", gate, st.Duration.Round(time.Second), report.Text(tb))
		}
	}
	if data, err := os.ReadFile(filepath.Join(out, "logs", "perf", "server-cpu-tiny-qwen3.log")); err != nil ||
		!bytes.Contains(data, []byte("--load-format dummy")) || !bytes.Contains(data, []byte("/models/tiny-qwen3-")) {
		t.Errorf("the server log does not show launch_server on the generated model (%v)", err)
	}

	// SIGTERM to tpuci while launch_server precompiles: exit 143, nothing left.
	cmd := exec.Command(tpuci(t), "perf")
	cmd.Dir = repo
	cmd.Env = append(cleanEnv(), env...)
	var so bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &so
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for !serverRunning(repo) && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(15 * time.Second) // into JAX's start-up and precompilation
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Errorf("perf after SIGTERM: %v, want exit 143\n%s", err, tail(so.String(), 3000))
	}
	noLeftovers(t, "SIGTERM", repo, out)
}

// serverRunning reports whether launch_server runs in repo.
func serverRunning(repo string) bool {
	for _, l := range leftovers(repo) {
		if strings.Contains(l, "sgl_jax.launch_server") {
			return true
		}
	}
	return false
}
