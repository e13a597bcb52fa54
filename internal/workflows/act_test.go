package workflows

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/jaxenv/jaxenvtest"
)

// runnerLabels are every runs-on label of the workflows and the config;
// act runs them all on the host.
var runnerLabels = []string{
	"ubuntu-latest",
	"arc-runner-cpu-us-south1-b",
	"arc-runner-v6e-1-us-south1-ai1b",
	"arc-runner-v6e-4-us-south1-ai1b",
}

// standIns are the GitHub actions the workflows use, by the ref they name.
var standIns = map[string]string{
	"actions/checkout@v4":          "checkout",
	"actions/setup-go@v5":          "setup-go",
	"actions/upload-artifact@v4":   "upload-artifact",
	"actions/download-artifact@v4": "download-artifact",
	"actions/cache@v4":             "cache",
}

// needTool returns the path of a tool, skipping the test without it
// locally and failing it under CI=true.
func needTool(t *testing.T, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin")} {
		if p := filepath.Join(dir, name); dir != "" && isExec(p) {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed: %s", name, install)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func act(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("workflow journeys run the whole pipeline under act; not with -short")
	}
	return needTool(t, "act", "go install github.com/nektos/act@v0.2.89")
}

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
)

// fixture is a git repository holding tpuci's tree (as checked out here,
// with local changes) and the bundled example at its root, one commit on
// main. Scenarios clone it.
func fixture(t *testing.T) string {
	t.Helper()
	fixtureOnce.Do(func() { fixtureDir, fixtureErr = makeFixture() })
	if fixtureErr != nil {
		t.Fatalf("workflow fixture: %v", fixtureErr)
	}
	return fixtureDir
}

func makeFixture() (string, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "tpuci-workflows-")
	if err != nil {
		return "", err
	}
	files, err := exec.Command("git", "-C", root, "ls-files", "-z", "-co", "--exclude-standard").Output()
	if err != nil {
		return "", fmt.Errorf("list tpuci's files: %w", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		if err := copyFile(filepath.Join(root, f), filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
			return "", err
		}
	}
	example := filepath.Join(root, "internal", "example", "repo")
	err = filepath.WalkDir(example, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "__pycache__") {
			return err
		}
		rel, _ := filepath.Rel(example, p)
		return copyFile(p, filepath.Join(dir, rel))
	})
	if err != nil {
		return "", err
	}
	if err := git(dir, "init", "-q", "-b", "main"); err != nil {
		return "", err
	}
	return dir, commitAll(dir, "tpuci with the example at its root")
}

func copyFile(src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil || st.IsDir() {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if st.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, st.Mode().Perm())
}

// gitEnv makes commits reproducible and independent of the user's config.
var gitEnv = []string{"GIT_AUTHOR_NAME=tpuci", "GIT_AUTHOR_EMAIL=tpuci@example.invalid",
	"GIT_COMMITTER_NAME=tpuci", "GIT_COMMITTER_EMAIL=tpuci@example.invalid", "GIT_CONFIG_GLOBAL=/dev/null"}

func git(dir string, args ...string) error {
	_, err := gitOut(dir, args...)
	return err
}

func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func commitAll(dir, msg string) error {
	if err := git(dir, "add", "-A"); err != nil {
		return err
	}
	return git(dir, "commit", "-q", "--allow-empty", "-m", msg)
}

// clone gives a scenario its own copy of the fixture, on branch.
func clone(t *testing.T, branch string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	if err := git(".", "clone", "-q", fixture(t), dir); err != nil {
		t.Fatal(err)
	}
	if branch != "main" {
		if err := git(dir, "checkout", "-q", "-b", branch); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// change writes files (path -> content; "" appends a line) and commits.
func change(t *testing.T, dir, msg string, files map[string]string) string {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if content == "" {
			old, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			content = string(old) + "\n# " + msg + "\n"
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := commitAll(dir, msg); err != nil {
		t.Fatal(err)
	}
	return rev(t, dir, "HEAD")
}

func rev(t *testing.T, dir, r string) string {
	t.Helper()
	out, err := gitOut(dir, "rev-parse", r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run is one act invocation.
type run struct {
	Dir       string         // the repository
	Workflow  string         // file under .github/workflows
	Event     string         // pull_request, push, schedule, workflow_dispatch
	Payload   map[string]any // the webhook payload (GITHUB_EVENT_PATH)
	Artifacts string         // the artifact store of the stand-ins; a re-run reuses it
	Env       map[string]string
	Vars      map[string]string
	Secrets   map[string]string
	Inputs    map[string]string
	Job       string // -j: one job only
}

// result is what act reported, job by job.
type result struct {
	Jobs map[string]string // job name as act prints it -> "succeeded" or "failed"
	Log  string
	Err  error
}

var jobLine = regexp.MustCompile(`^\[[^/\]]+/([^\]]+?)\s*\] \S+\s+Job (succeeded|failed)`)

// hostEnv are the settings every act run gets: the Debian interpreter (it
// has pytest and pylint) in its venv with the example's JAX, caches under the test's temp dir, and the
// bootstrap knobs a runner without PyPI access needs.
func hostEnv(t *testing.T) map[string]string {
	tmp := t.TempDir()
	return map[string]string{
		"TPUCI_PYTHON":           jaxenvtest.Python(t, "/usr/bin/python3", "../example/repo"),
		"TPUCI_PYTHON_BIN":       "/usr/bin/python3",
		"TPUCI_VENV_SYSTEM_SITE": "1",
		"TPUCI_PY_EXTRAS":        "none",
		"TPUCI_PIP_ARGS":         "--no-build-isolation --no-index --no-deps",
		"TPUCI_XLA_CACHE_DIR":    filepath.Join(tmp, "xla-cache"),
		"TPUCI_MODEL_CACHE_DIR":  filepath.Join(tmp, "models"),
		"TPUCI_LOCK_FILE":        filepath.Join(tmp, "tpu.lock"),
	}
}

var invocations sync.Map

// do runs act and parses the per-job results; the log is kept under the
// test's temp dir and printed when the test fails.
func (r run) do(t *testing.T) result {
	t.Helper()
	bin := act(t)
	actions, err := filepath.Abs("testdata/actions")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	event := filepath.Join(tmp, "event.json")
	payload, _ := json.Marshal(r.Payload)
	if err := os.WriteFile(event, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{r.Event, "-W", filepath.Join(".github/workflows", r.Workflow), "-e", event,
		"--action-offline-mode", "--no-cache-server"}
	for _, l := range runnerLabels {
		args = append(args, "-P", l+"=-self-hosted")
	}
	refs := make([]string, 0, len(standIns))
	for ref := range standIns {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		args = append(args, "--local-repository", ref+"="+filepath.Join(actions, standIns[ref]))
	}
	n, _ := invocations.LoadOrStore(t.Name(), new(int))
	*n.(*int)++
	env := hostEnv(t)
	env["TPUCI_ACT_ARTIFACTS"] = r.Artifacts
	env["TPUCI_ACT_REPO"] = r.Dir // the checkout stand-in copies it to check out a ref
	env["TPUCI_ACT_INVOCATION"] = fmt.Sprintf("%s-%d", t.Name(), *n.(*int))
	for k, v := range r.Env {
		env[k] = v
	}
	args = append(args, flags("--env", env)...)
	args = append(args, flags("--var", r.Vars)...)
	args = append(args, flags("--secret", r.Secrets)...)
	args = append(args, flags("--input", r.Inputs)...)
	if r.Job != "" {
		args = append(args, "-j", r.Job)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = r.Dir
	cmd.Env = actEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	t.Logf("act %s %s: %s", r.Event, r.Workflow, time.Since(start).Round(time.Second))
	res := result{Jobs: map[string]string{}, Log: out.String(), Err: err}
	sc := bufio.NewScanner(strings.NewReader(res.Log))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if m := jobLine.FindStringSubmatch(sc.Text()); m != nil {
			res.Jobs[m[1]] = m[2]
		}
	}
	// The log outlives the test's temp dir, for a failure's post-mortem.
	logDir := filepath.Join(os.TempDir(), "tpuci-act-logs")
	_ = os.MkdirAll(logDir, 0o755)
	logFile := filepath.Join(logDir, strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())+fmt.Sprintf("-%d.log", *n.(*int)))
	if keep := os.Getenv("TPUCI_ACT_LOGS"); keep != "" { // keep every log for a look afterwards
		logFile = filepath.Join(keep, strings.NewReplacer("/", "_").Replace(env["TPUCI_ACT_INVOCATION"])+".log")
		_ = os.MkdirAll(keep, 0o755)
	}
	_ = os.WriteFile(logFile, out.Bytes(), 0o644)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("act %s log (%s), last lines:\n%s", r.Workflow, logFile, tail(res.Log, 80))
		}
	})
	return res
}

// actEnv is the environment of act itself: the host's, without the
// settings of the test run that would leak into the jobs.
func actEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TPUCI_") || strings.HasPrefix(k, "GITHUB_") || k == "CI" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func flags(name string, kv map[string]string) []string {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, name, k+"="+kv[k])
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// job is the result of one job: "succeeded", "failed", or "skipped" when
// act never ran it. Matrix jobs are named "<id> (<entry>)": results of all
// entries of id are combined, failed over succeeded.
func (r result) job(id string) string {
	got := "skipped"
	for name, st := range r.Jobs {
		if name == id || strings.HasPrefix(name, id+" (") {
			if got != "failed" {
				got = st
			}
		}
	}
	return got
}

// entries counts the matrix entries of id that ended with status.
func (r result) entries(id, status string) int {
	n := 0
	for name, st := range r.Jobs {
		if (name == id || strings.HasPrefix(name, id+" (")) && st == status {
			n++
		}
	}
	return n
}

// expect checks every job's result.
func (r result) expect(t *testing.T, want map[string]string) {
	t.Helper()
	for id, w := range want {
		if got := r.job(id); got != w {
			t.Errorf("job %s: %s, want %s", id, got, w)
		}
	}
}

// contains checks that the log of job id (all its entries) has every line.
func (r result) contains(t *testing.T, id string, lines ...string) {
	t.Helper()
	// A job's lines carry its prefix; the step summary a job writes
	// follows its "Summary" line without one. act sometimes loses the
	// last output of a step that exits quickly, never the summary file
	// tpuci wrote, so both count.
	var log strings.Builder
	prefix := regexp.MustCompile(`^\[[^/\]]+/([^\]]+?)\s*\]`)
	inSummary := false
	for _, l := range strings.Split(r.Log, "\n") {
		m := prefix.FindStringSubmatch(l)
		if m == nil {
			if inSummary {
				log.WriteString(l + "\n")
			}
			continue
		}
		mine := m[1] == id || strings.HasPrefix(m[1], id+" (")
		inSummary = mine && strings.Contains(l, "Summary - ")
		if mine {
			log.WriteString(l + "\n")
		}
	}
	for _, want := range lines {
		if !strings.Contains(log.String(), want) {
			t.Errorf("job %s: log lacks %q", id, want)
		}
	}
}

// rewrite returns the clone's file with each old string replaced by its
// new one (pairs), failing when an old string is not there.
func rewrite(t *testing.T, dir, path string, pairs ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, path))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("%s has no %q", path, pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// dataRepo is a bare git repository standing in for the sgl-jax-ci-data
// repository.
func dataRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sgl-jax-ci-data.git")
	if err := git(".", "init", "-q", "--bare", "-b", "main", dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkoutData clones the data repository's main branch into a fresh
// directory and returns it.
func checkoutData(t *testing.T, bare string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ci-data")
	if err := git(".", "clone", "-q", "-b", "main", bare, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tarNames lists the entries of a tar stream.
func tarNames(r io.Reader) ([]string, error) {
	tr := tar.NewReader(r)
	var out []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, h.Name)
	}
}
