package namespaces

//mage:multiline
import (
	"context"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/ci"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/slash"
)

// CI groups the entry points of the CI workflows.
type CI mg.Namespace

func ciEnv() (ci.Env, error) {
	s, err := pipeline.Current()
	if err != nil {
		return ci.Env{}, err
	}
	return ci.EnvOf(s.WS, s.GH, s.Out, s.Log), nil
}

// Plan decides which PR targets run and which test files each suite runs.
//
//	go tool mage ci:plan [-explain]
//
// On GitHub Actions it reads GITHUB_EVENT_NAME and the payload at
// GITHUB_EVENT_PATH (draft, labels, base and head); locally it compares
// the working tree with TPUCI_BASE (default origin/main, then main) and
// takes labels from TPUCI_LABELS=a,b. Rules come from [gating]: PRs need
// the required label (run-ci), drafts fail, labels add targets, path
// filters enable targets, and the Python import graph narrows each suite
// to the test files that import a change; a push to main runs everything.
// A workflow_dispatch (what /rerun and /run-ci send) plans a PR's head:
// inputs sha (40 hex, the checkout), base, pr and only (a PR target or
// suite the run is narrowed to), without the label gate.
// -explain lists every selected and skipped file with the reason.
//
// Outputs: run_TARGET=true|false and matrix_TARGET (strategy.matrix JSON)
// in GITHUB_OUTPUT, plus plan (for ci:finish); $TPUCI_OUT/plan.json,
// $TPUCI_OUT/select.txt (for TPUCI_SELECT) and the step summary.
// It prints the time to verdict: the critical path through the PR
// workflow's jobs (lint, unitTest1, e2e, perf, then unitTest4 and
// accuracy; pallas beside after lint), each target counted by its longest
// job, with the largest-file bound and the TPU-minutes, for this run and
// for a full run. [ci].job_minutes sizes suites without pinned partitions.
//
// Files are weighed by the median of their last [ci].history measured
// durations (recorded by runs on main and scheduled runs in the nightly's
// history store), else by their estimates; TPUCI_DURATIONS=FILE weighs
// them by one earlier run instead.
func (CI) Plan(ctx context.Context, explain *bool) (err error) {
	defer report.FitError(&err)
	e, err := ciEnv()
	if err != nil {
		return err
	}
	return ci.RunPlan(ctx, e, explain != nil && *explain)
}

// Matrix prints the JSON job matrix of a target for strategy.matrix.
//
//	go tool mage ci:matrix TARGET
//
// One entry per suite partition for suite targets (suite, part, parts,
// partition ID/COUNT, chips, runner), one per case partition for perf,
// accuracy and pallas, and for nightly one per share of the models that
// need the same chips (models for TPUCI_NIGHTLY_MODELS, partition);
// partition counts and runner labels come from the config.
// TPUCI_SELECT=FILE narrows it to the selected files.
func (CI) Matrix(ctx context.Context, target string) (err error) {
	defer report.FitError(&err)
	e, err := ciEnv()
	if err != nil {
		return err
	}
	return ci.RunMatrix(e, target)
}

// Finish is the final gate: each failed test triaged against main, one verdict.
//
//	go tool mage ci:finish
//
// Reads TPUCI_NEEDS (toJSON(needs) of the finish job), TPUCI_PLAN (the
// coordinator's plan output, with the changed files; read from needs when
// unset) and TPUCI_RESULTS (the jobs' uploaded results). Every failed or
// flaky-passed test of the stage records there gets a class against
// main's failure record and the [[quarantine]] entries: new, main
// (already failing on main, same fingerprint), flaky, infra, timeout,
// threshold, quarantined, or a flaky pass. It prints a table (job, test,
// class, why) and the verdict: "fails because of this change", "fails
// only on what main already fails", "infrastructure: rerun" (on main and
// schedules: red or green).
//
// Exit code: 1 when a failure gates (new, infrastructure, timeout,
// threshold; main's own failure when the change touches the test's file
// or [triage] main_red_blocks is set, and always on main itself), when a
// failed job left no stage record (for any of its matrix jobs), when a
// job was cancelled or a required one skipped, or when the plan failed or
// was blocked. 0 when every failure is main's in a test the change does
// not touch, a known flake in such a test, a quarantined test or a flaky
// pass.
//
// Writes $TPUCI_OUT/finish.json (jobs and triage) and the step summary.
// On a pull request (dispatched too, or with TPUCI_PR) it keeps one comment,
// edited in place (GITHUB_TOKEN with pull-requests: write,
// GITHUB_API_URL). On a push to main or a schedule it posts to
// TPUCI_NOTIFY_WEBHOOK when main turns red or green again (state in the
// history store under notify/). A failed comment or post warns and never
// changes the exit code.
func (CI) Finish(ctx context.Context) (err error) {
	defer report.FitError(&err)
	e, err := ciEnv()
	if err != nil {
		return err
	}
	return ci.RunFinish(ctx, e)
}

// Replay shows what the plan would have run over the last N commits, in TPU-minutes.
//
//	go tool mage ci:replay N
//
// Compares, per first-parent commit of TPUCI_REPO, SGLang-JAX's two path
// filters, tpuci's filters without narrowing and tpuci's plan, using
// suite estimates (or measured durations). Prints the mean and median
// share of full-PR TPU-minutes, the mean and p90 time to verdict, and
// recall on an SZZ corpus (fix commits among the N, the commits that
// introduced the lines they changed, and whether each selector ran the
// fix's tests at the introducing commit), next to a random selector with
// the same per-commit share. Writes $TPUCI_OUT/replay.json.
func (CI) Replay(ctx context.Context, n int) (err error) {
	defer report.FitError(&err)
	e, err := ciEnv()
	if err != nil {
		return err
	}
	if s, err := pipeline.Current(); err == nil {
		var stop context.CancelFunc
		ctx, stop = s.Context(ctx)
		defer stop()
	}
	rp, err := ci.RunReplay(ctx, e, n)
	if rp != nil {
		ci.PrintReplay(e.Stdout, rp)
	}
	return err
}

// Command answers a PR comment's slash command (/rerun-failed, /rerun, /run-ci, /help).
//
//	go tool mage ci:command
//
// Reads the issue_comment payload at GITHUB_EVENT_PATH (comments on
// issues, by bots, or whose first line is no /word are ignored), reacts
// with eyes, checks the commenter's permission with the collaborator
// permission API (write, maintain or admin), resolves the PR's head SHA
// once and pins the command to it: /rerun-failed reruns the failed jobs
// of the latest PR Test run of that SHA; /rerun and /run-ci dispatch PR
// Test on the default branch with inputs sha, pr, base and only (/run-ci
// also adds [gating].required_label). Replies in one comment, then reacts
// +1, -1 or confused. Needs GITHUB_TOKEN; GITHUB_API_URL for GitHub
// Enterprise. Writes $TPUCI_OUT/command.json.
func (CI) Command(ctx context.Context) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	ctx, stop := s.Context(ctx)
	defer stop()
	return slash.RunCommand(ctx, slash.Env{GitHub: s.WS.Settings.GitHub, Config: s.WS.Config, Out: s.WS.Out,
		GH: s.GH, Stdout: s.Out, Log: s.Log})
}
