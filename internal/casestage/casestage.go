// Package casestage is the one shape of tpuci's case targets: perf,
// pallas, accuracy and nightly. Each target supplies a pure plan of the
// cases this job runs and a run part; the skeleton does everything else
// the same way for all of them:
//
//	plan (partition, host fit) -> report what is skipped -> check the
//	interpreter -> lock the chips -> start servers on demand -> run ->
//	judge and record (the target's run) -> report; an interrupt ends the
//	run with its cause.
//
// The chip lock is taken when a case uses real chips (a server that is
// not the simulator, or a kernel benchmark) on a host with TPUs. Every
// server of every target starts with pipeline.ServerOptions, so
// TPUCI_SERVER_ARGS and the chip environment reach them all.
package casestage

import (
	"context"
	"fmt"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/hostlock"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Plan is what a target runs in this job, and what it does not run and why.
type Plan[C any] struct {
	Run     []C
	Skipped []report.Case
	Note    string // one line printed under the target, e.g. a default taken
}

// Target describes a case target to the skeleton.
type Target[C any] struct {
	Name string // "perf", in messages
	// Unconfigured is why the target is skipped when it has no cases
	// configured; "" when it has some.
	Unconfigured string
	Plan         func(ws *workspace.Workspace, part partition.Spec) (Plan[C], error)
	// Server is the launch profile a case runs against; nil for a case
	// that starts no server (a kernel benchmark runs the interpreter on
	// the chips directly).
	Server func(C) *config.Server
	Run    func(ctx context.Context, j *Job[C]) error
}

// Job is what a target's run part gets.
type Job[C any] struct {
	WS    *workspace.Workspace
	St    *pipeline.Stage
	Cases []C
	// Servers starts servers on demand, all with the same options.
	Servers *server.Manager
	lock    *hostlock.Lock
}

// Run runs target t as the body of stage st.
func Run[C any](ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, t Target[C]) error {
	if t.Unconfigured != "" {
		return pipeline.Skip("%s", t.Unconfigured)
	}
	plan, err := t.Plan(ws, st.Partition)
	if err != nil {
		return err
	}
	st.Cases = append(st.Cases, plan.Skipped...)
	for _, s := range plan.Skipped {
		fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    skip %s: %s", s.Name, s.Message)))
	}
	if plan.Note != "" {
		fmt.Fprintln(st.Log, report.Fit("    "+plan.Note))
	}
	if len(plan.Run) == 0 {
		return pipeline.Skip("no %s case to run here (%s, partition %s)", t.Name, ws.Chips.Describe(), st.Partition)
	}
	if err := needPython(ws, t, plan.Run); err != nil {
		return err
	}
	j := &Job[C]{WS: ws, St: st, Cases: plan.Run}
	if realChips(ws, t, plan.Run) {
		if j.lock, err = st.LockChips(ctx, ws); err != nil {
			return err
		}
	}
	j.Servers = pipeline.Servers(ws, st, ws.Repo, st.LogDir)
	defer j.Release()
	err = t.Run(ctx, j)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// Release stops the job's servers and frees the chips before the run
// ends (nightly publishes its results after); later calls do nothing.
func (j *Job[C]) Release() {
	j.Servers.Close()
	j.lock.Release()
	j.lock = nil
}

// Add records an outcome in the stage: its cases, its failures and its
// tables, which are printed to the stage's output too.
func (j *Job[C]) Add(cases []report.Case, failures []string, tables ...report.Table) {
	j.St.Cases = append(j.St.Cases, cases...)
	j.St.Failures = append(j.St.Failures, failures...)
	for _, t := range tables {
		if len(t.Rows) == 0 {
			continue
		}
		j.St.Tables = append(j.St.Tables, t)
		fmt.Fprint(j.St.Out, report.Text(t))
	}
}

// needPython reports a missing interpreter when a case needs one: a
// server that is SGLang-JAX's own launch_server, or no server at all.
func needPython[C any](ws *workspace.Workspace, t Target[C], run []C) error {
	if ws.Python != "" {
		return nil
	}
	for _, c := range run {
		what := t.Name + " cases"
		if t.Server != nil {
			s := t.Server(c)
			if s == nil || len(s.Command) > 0 {
				continue
			}
			what = "sgl_jax.launch_server of server " + s.Name
		}
		return &pipeline.MissingTool{Tool: "python (for " + what + ")",
			Install: "export TPUCI_PYTHON=/path/to/python (or run scripts/bootstrap.sh to create .venv)"}
	}
	return nil
}

// realChips: the host has TPUs and a case uses them (the simulator does not).
func realChips[C any](ws *workspace.Workspace, t Target[C], run []C) bool {
	if ws.Chips.CPU {
		return false
	}
	if t.Server == nil {
		return true
	}
	for _, c := range run {
		if s := t.Server(c); s == nil || len(s.Command) == 0 || s.Command[0] != server.SimCommand {
			return true
		}
	}
	return false
}

// Describe renders a plan as text, for golden tests and logs: the cases
// it runs in order, then each skipped case with its reason.
func Describe[C any](p Plan[C], name func(C) string) string {
	var b strings.Builder
	for _, c := range p.Run {
		fmt.Fprintf(&b, "run  %s\n", name(c))
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(&b, "skip %s: %s\n", s.Name, s.Message)
	}
	if p.Note != "" {
		fmt.Fprintf(&b, "note %s\n", p.Note)
	}
	return b.String()
}
