package targets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/multihost"
	"github.com/sgl-project/tpuci/internal/multihost/jobplan"
	"github.com/sgl-project/tpuci/internal/multihost/kubetest"
	"github.com/sgl-project/tpuci/internal/report"
)

// The multiHost journeys: tpuci's binary against a real control plane
// (etcd, kube-apiserver, controller-manager, scheduler) with kwok's fake
// v6e 4x4 nodes; each journey starts its own and stops it in t.Cleanup.
// kwok plays each rank's end from FAKE_EXIT_<i> and FAKE_RUN_TIME_<i>.

// mhConfig is a one-case config; env is the case's environment (TOML).
func mhConfig(t *testing.T, env, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tpuci.toml")
	writeFile(t, path, fmt.Sprintf(`[multihost]
namespace = "default"
image = "sglang-jax:journey"
grace_period = "1s"
ready_timeout = "60s"

[[multihost.case]]
name = "mh"
topology = "4x4"
hosts = 4
chips_per_host = 4
command = ["python3", "test/srt/nightly/multi_host/suite_runner.py"]
env = { %s }
%s
`, env, extra))
	return path
}

// mhRun is one tpuci multiHost process, started but not waited for.
type mhRun struct {
	cmd    *exec.Cmd
	out    string
	so, se *lineWatch
}

func startMultiHost(t *testing.T, c *kubetest.Cluster, cfg, workflow string, env ...string) *mhRun {
	t.Helper()
	r := &mhRun{out: t.TempDir(), so: &lineWatch{marker: "\x00", seen: make(chan struct{})},
		se: &lineWatch{marker: "every rank is Ready", seen: make(chan struct{})}}
	r.cmd = exec.Command(tpuci(t), "multiHost")
	r.cmd.Dir = t.TempDir()
	r.cmd.Env = append(cleanEnv(), "TPUCI_OUT="+r.out, "TPUCI_CONFIG="+cfg,
		"KUBECONFIG="+c.Kubeconfig, "GITHUB_WORKFLOW="+workflow, "GITHUB_RUN_ID=1001",
		"GITHUB_RUN_ATTEMPT=1")
	r.cmd.Env = append(r.cmd.Env, env...)
	r.cmd.Stdout, r.cmd.Stderr = r.so, r.se
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *mhRun) wait(t *testing.T) int {
	t.Helper()
	err := r.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0
}

// result reads the stage's JSON and the case's result.
func (r *mhRun) result(t *testing.T) (report.TargetResult, multihost.Result) {
	t.Helper()
	var st report.TargetResult
	b, err := os.ReadFile(filepath.Join(r.out, "multiHost.json"))
	if err != nil {
		t.Fatalf("multiHost.json: %v\nstderr:\n%s", err, r.se.String())
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	var res multihost.Result
	for _, c := range st.Cases {
		if c.Name == "mh" {
			raw, _ := json.Marshal(c.Extra)
			_ = json.Unmarshal(raw, &res)
		}
	}
	for _, f := range []string{"summary.md", "junit/multiHost.xml"} {
		if _, err := os.Stat(filepath.Join(r.out, f)); err != nil {
			t.Errorf("%s missing: %v", f, err)
		}
	}
	return st, res
}

func (r *mhRun) logs() string { return r.so.String() + r.se.String() }

// gone checks that no Job, Service or pod of the workflow is left.
func gone(t *testing.T, c *kubetest.Cluster, workflow string) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: jobplan.Selector(workflow, "")}
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		jobs, err1 := c.Client.BatchV1().Jobs("default").List(ctx, sel)
		svcs, err2 := c.Client.CoreV1().Services("default").List(ctx, sel)
		pods, err3 := c.Client.CoreV1().Pods("default").List(ctx, sel)
		if err1 == nil && err2 == nil && err3 == nil &&
			len(jobs.Items)+len(svcs.Items)+len(pods.Items) == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("left behind: jobs %v, services %v, pods %v (errors %v %v %v)",
				len(jobs.Items), len(svcs.Items), len(pods.Items), err1, err2, err3)
		}
	}
}

func journeyCluster(t *testing.T, nodes int) *kubetest.Cluster {
	t.Helper()
	tpuci(t) // compile first: the cluster's start is then measured alone
	return kubetest.Start(t, nodes, "4x4")
}

// (a) Four ranks exit 0: passed, and nothing is left.
func TestMultiHostPasses(t *testing.T) {
	c := journeyCluster(t, 4)
	r := startMultiHost(t, c, mhConfig(t, `FAKE_RUN_TIME_0 = "2s"`, ""), "journey-a")
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, r.logs())
	}
	st, res := r.result(t)
	if st.Status != report.Passed || res.Verdict.Class != "passed" || !res.Deleted ||
		len(res.Ranks) != 4 {
		t.Errorf("status %s, result %+v\n%s", st.Status, res, r.logs())
	}
	for _, rk := range res.Ranks {
		if !rk.Exited || rk.ExitCode != 0 || rk.Node == "" {
			t.Errorf("rank %+v", rk)
		}
		if b, _ := os.ReadFile(rk.Log); string(b) != kubetest.RankLog {
			t.Errorf("rank %d's log %s holds %q, want %q", rk.Index, rk.Log, b, kubetest.RankLog)
		}
	}
	// Rank 0's log is streamed into the stage's output.
	if !strings.Contains(r.so.String(), kubetest.RankLog) {
		t.Errorf("rank 0's log is not in the output:\n%s", r.logs())
	}
	gone(t, c, "journey-a")
}

// (b) Rank 2 exits with the threshold code: failed, threshold, no retry,
// the diagnosis names rank 2.
func TestMultiHostThreshold(t *testing.T) {
	c := journeyCluster(t, 4)
	gh := t.TempDir()
	r := startMultiHost(t, c, mhConfig(t, `FAKE_EXIT_2 = "20"`, ""), "journey-b",
		"GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+filepath.Join(gh, "output"),
		"GITHUB_STEP_SUMMARY="+filepath.Join(gh, "summary"))
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, r.logs())
	}
	st, res := r.result(t)
	v := res.Verdict
	if st.Status != report.Failed || v.Class != "threshold" || v.Retry || v.Rank != 2 {
		t.Errorf("status %s, verdict %+v\n%s", st.Status, v, r.logs())
	}
	if !strings.Contains(res.Diagnosis, "rank 2: pod ") || !strings.Contains(res.Diagnosis, "exit 20") {
		t.Errorf("diagnosis does not name rank 2's exit 20:\n%s", res.Diagnosis)
	}
	// On GitHub: an annotation, the step summary, and the decision as outputs.
	if !strings.Contains(r.so.String(), "::error title=multi-host mh%3A threshold::") {
		t.Errorf("no annotation:\n%s", r.so.String())
	}
	out, _ := os.ReadFile(filepath.Join(gh, "output"))
	if !strings.Contains(string(out), "failure_class=threshold\n") ||
		!strings.Contains(string(out), "should_retry=false\n") {
		t.Errorf("step outputs:\n%s", out)
	}
	if sum, _ := os.ReadFile(filepath.Join(gh, "summary")); !strings.Contains(string(sum), "multiHost") {
		t.Errorf("step summary:\n%s", sum)
	}
	t.Log(r.logs())
	gone(t, c, "journey-b")
}

// (c) Rank 0 is killed (137) after rank 3 exited with the infra code:
// infra, retry recommended, from rank 3.
func TestMultiHostPeerKilledRank0(t *testing.T) {
	c := journeyCluster(t, 4)
	env := `FAKE_EXIT_0 = "137", FAKE_EXIT_3 = "10", FAKE_RUN_TIME_3 = "1s", FAKE_RUN_TIME_0 = "1500ms"`
	r := startMultiHost(t, c, mhConfig(t, env, ""), "journey-c")
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, r.logs())
	}
	_, res := r.result(t)
	v := res.Verdict
	if v.Class != "infra" || !v.Retry || v.Rank != 3 ||
		!strings.Contains(v.Why, "rank 0 exited 137, killed by a peer's death: rank 3 exited 10") {
		t.Errorf("verdict %+v\n%s\n%s", v, res.Diagnosis, r.logs())
	}
	t.Log(res.Diagnosis)
	gone(t, c, "journey-c")
}

// longRanks keep every rank running (a real rank waits for its peers at
// the rendezvous, so a node never frees up for a missing one).
const longRanks = `FAKE_RUN_TIME_0 = "1h", FAKE_RUN_TIME_1 = "1h", FAKE_RUN_TIME_2 = "1h", ` +
	`FAKE_RUN_TIME_3 = "1h"`

// (d) Three nodes for a 4-host topology: a pod never schedules, the
// deadline ends the run, readiness, the FailedScheduling event quoted.
func TestMultiHostNeverSchedules(t *testing.T) {
	c := journeyCluster(t, 3)
	r := startMultiHost(t, c, mhConfig(t, longRanks, `deadline = "8s"`), "journey-d")
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, r.logs())
	}
	st, res := r.result(t)
	v := res.Verdict
	if v.Class != "readiness" || !v.Retry {
		t.Errorf("verdict %+v\n%s", v, r.logs())
	}
	if !strings.Contains(res.Diagnosis, "FailedScheduling") {
		t.Errorf("diagnosis does not quote FailedScheduling:\n%s", res.Diagnosis)
	}
	if !strings.Contains(strings.Join(st.Failures, "\n"), "is not Ready: Unschedulable") {
		t.Errorf("failures do not say which pod is not Ready and why: %q", st.Failures)
	}
	t.Log(r.logs())
	gone(t, c, "journey-d")
}

// (e) A Job and a Service an earlier run of the same workflow left are
// deleted (found by label) before the new run, which passes; another
// workflow's objects of the same case, with the same name prefix, stay.
func TestMultiHostDeletesLeftovers(t *testing.T) {
	c := journeyCluster(t, 4)
	cfgPath := mhConfig(t, "", "")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	old := cfg.MultiHost.Cases[0]
	old.Env = map[string]string{}
	for i := range 4 {
		old.Env[fmt.Sprintf("FAKE_RUN_TIME_%d", i)] = "1h"
	}
	ctx := context.Background()
	create := func(workflow string, suspend bool) jobplan.Objects {
		objs, err := jobplan.Plan(cfg.MultiHost, old, jobplan.Run{Workflow: workflow, ID: "999",
			Attempt: "1"})
		if err != nil {
			t.Fatal(err)
		}
		objs.Job.Spec.Suspend = &suspend // a suspended Job holds no node
		if _, err := c.Client.CoreV1().Services("default").Create(ctx, objs.Service,
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Client.BatchV1().Jobs("default").Create(ctx, objs.Job,
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		return objs
	}
	earlier := create("journey-e", false)
	other := create("another-workflow", true)
	r := startMultiHost(t, c, cfgPath, "journey-e")
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, r.logs())
	}
	_, res := r.result(t)
	want := []string{"job/" + earlier.Job.Name, "service/" + earlier.Service.Name}
	if strings.Join(res.Leftovers, " ") != strings.Join(want, " ") {
		t.Errorf("leftovers deleted %q, want %q", res.Leftovers, want)
	}
	gone(t, c, "journey-e")
	if _, err := c.Client.BatchV1().Jobs("default").Get(ctx, other.Job.Name,
		metav1.GetOptions{}); err != nil {
		t.Errorf("another workflow's Job %s was deleted: %v", other.Job.Name, err)
	}
	if _, err := c.Client.CoreV1().Services("default").Get(ctx, other.Service.Name,
		metav1.GetOptions{}); err != nil {
		t.Errorf("another workflow's Service %s was deleted: %v", other.Service.Name, err)
	}
}

// (f) SIGTERM (and SIGINT) to tpuci mid-run: exit 143 (130), reports
// written (partial), the Job and the Service deleted.
func TestMultiHostSIGTERM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			want := map[syscall.Signal]int{syscall.SIGTERM: 143, syscall.SIGINT: 130}[sig]
			c := journeyCluster(t, 4)
			workflow := fmt.Sprintf("journey-f-%d", want)
			r := startMultiHost(t, c, mhConfig(t, longRanks, ""), workflow)
			select {
			case <-r.se.seen:
			case <-time.After(60 * time.Second):
				_ = r.cmd.Process.Kill()
				t.Fatalf("the ranks never became Ready\n%s", r.logs())
			}
			_ = r.cmd.Process.Signal(sig)
			if code := r.wait(t); code != want {
				t.Fatalf("exit %d, want %d\n%s", code, want, r.logs())
			}
			st, res := r.result(t)
			if !st.Partial || st.Status != report.Failed || !res.Deleted {
				t.Errorf("partial %v status %s deleted %v\n%s", st.Partial, st.Status, res.Deleted,
					r.logs())
			}
			t.Log(r.logs())
			gone(t, c, workflow)
		})
	}
}
