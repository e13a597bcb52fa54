package multihost

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/multihost/jobplan"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Name is the stage's name in the stage table and on the command line.
const Name = "multiHost"

// Body is the multiHost stage: every configured case (TPUCI_CASES picks
// some), one after the other, on the cluster of KUBECONFIG.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	m := ws.Config.MultiHost
	cases, err := pick(m.Cases, ws.Settings.Cases)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		return pipeline.Skip("no [[multihost.case]] configured")
	}
	client, err := Client(ws.Settings.Kubeconfig)
	if err != nil {
		return &pipeline.MissingTool{Tool: "a Kubernetes cluster (" + err.Error() + ")",
			Install: "gcloud container clusters get-credentials CLUSTER, or " +
				"google-github-actions/get-gke-credentials in the workflow"}
	}
	run := RunOf(ws)
	table := report.Table{Title: "Multi-host cases",
		Header: []string{"case", "class", "retry", "ranks", "why"}}
	worst := failclass.Passed
	for _, c := range cases {
		fmt.Fprintf(st.Log, "    case %s: %d hosts x %d chips, topology %s, namespace %s\n",
			c.Name, c.Hosts, c.ChipsPerHost, c.Topology, m.Namespace)
		res, rerr := RunCase(ctx, Options{Client: client, Config: m, Case: c, Run: run,
			LogDir: filepath.Join(st.LogDir, c.Name), Out: st.Out, Log: st.Log})
		record(st, c, res, rerr)
		if res.Job != "" {
			table.Rows = append(table.Rows, []string{c.Name, string(res.Verdict.Class),
				yesNo(res.Verdict.Retry), fmt.Sprint(c.Hosts), res.Verdict.Why})
		}
		if res.Verdict.Class != failclass.Passed && worst == failclass.Passed {
			worst = res.Verdict.Class
		}
		if ctx.Err() != nil {
			break
		}
		if rerr != nil && res.Job == "" {
			return rerr
		}
	}
	if len(table.Rows) > 0 {
		st.Tables = append(st.Tables, table)
		fmt.Fprint(st.Out, report.Text(table))
	}
	// The workflow reads one class and one retry decision per job.
	_ = st.GH.SetOutput("failure_class", string(worst))
	_ = st.GH.SetOutput("should_retry", strconv.FormatBool(failclass.Of(worst).Retry &&
		worst != failclass.Passed))
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// record adds a case's result to the stage: one report case for the run
// and one per rank, its failures and annotations, and its JSON.
func record(st *pipeline.Stage, c config.MultiHostCase, res Result, rerr error) {
	v := res.Verdict
	status := report.Passed
	if v.Class != failclass.Passed || rerr != nil {
		status = report.Failed
	}
	msg := fmt.Sprintf("%s (retry: %s): %s", v.Class, yesNo(v.Retry), v.Why)
	if rerr != nil {
		msg = fmt.Sprintf("%s; %v", msg, rerr)
	}
	rc := report.Case{Name: c.Name, Class: Name, Status: status, Duration: res.Duration,
		Message: msg, Output: res.Diagnosis, Log: filepath.Join(st.LogDir, c.Name), Extra: res}
	st.Cases = append(st.Cases, rc)
	for _, r := range res.Ranks {
		rs := report.Passed
		switch {
		case !r.Ready || !r.Exited && v.Class != failclass.Passed:
			rs = report.Errored
		case r.ExitCode != 0:
			rs = report.Failed
		}
		m := "no exit code"
		if r.Exited {
			m = fmt.Sprintf("exit %d", r.ExitCode)
		}
		if r.Reason != "" {
			m += " (" + r.Reason + ")"
		}
		st.Cases = append(st.Cases, report.Case{Name: fmt.Sprintf("%s/rank-%d", c.Name, r.Index),
			Class: Name + "." + c.Name, Status: rs, Message: m, Output: r.Tail, Log: r.Log})
	}
	if status == report.Failed {
		line := fmt.Sprintf("%s: %s", c.Name, msg)
		st.Failures = append(st.Failures, line)
		if v.Class == failclass.Readiness {
			for _, l := range NotReadyLines(res) {
				st.Failures = append(st.Failures, c.Name+": "+l)
			}
		}
		st.GH.Annotate(ghactions.Annotation{Title: "multi-host " + c.Name + ": " + string(v.Class),
			Msg: msg})
		if res.Diagnosis != "" {
			fmt.Fprint(st.Out, res.Diagnosis)
		}
	}
	if b, err := json.MarshalIndent(res, "", "  "); err == nil {
		dir := filepath.Join(st.LogDir, c.Name)
		if os.MkdirAll(dir, 0o755) == nil {
			_ = os.WriteFile(filepath.Join(dir, "result.json"), append(b, '\n'), 0o644)
		}
	}
}

// pick keeps the cases TPUCI_CASES names (all when it is empty).
func pick(all []config.MultiHostCase, names []string) ([]config.MultiHostCase, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []config.MultiHostCase
	for _, n := range names {
		i := slices.IndexFunc(all, func(c config.MultiHostCase) bool { return c.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("multihost: TPUCI_CASES: no [[multihost.case]] named %q", n)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// Client is a clientset for kubeconfig (KUBECONFIG; "" is client-go's
// default, ~/.kube/config).
func Client(kubeconfig string) (kubernetes.Interface, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("multihost: kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("multihost: client: %w", err)
	}
	return cs, nil
}

// RunOf is this run's identity: GitHub's workflow, run and attempt, or a
// local run (workflow "local", a time-based id) outside Actions.
func RunOf(ws *workspace.Workspace) jobplan.Run {
	gh := ws.Settings.GitHub
	r := jobplan.Run{Workflow: gh.Workflow, ID: gh.RunID, Attempt: gh.RunAttempt,
		Commit: strings.SplitN(ws.Commit, "+", 2)[0], Repository: gh.Repository}
	if r.Workflow == "" {
		r.Workflow = "local"
	}
	if r.ID == "" {
		r.ID = fmt.Sprintf("local-%d", time.Now().Unix())
	}
	if r.Attempt == "" {
		r.Attempt = "1"
	}
	if gh.ServerURL != "" && gh.Repository != "" && gh.RunID != "" {
		r.URL = gh.ServerURL + "/" + gh.Repository + "/actions/runs/" + gh.RunID
	}
	return r
}
