// Package targets holds tpuci's pipeline stages as mage targets. A
// repository adopts tpuci by importing this package (and
// targets/namespaces) into its magefile with //mage:import.
package targets

//mage:multiline
import (
	"context"

	"github.com/sgl-project/tpuci/internal/lint"
	"github.com/sgl-project/tpuci/internal/multihost"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/suite"
)

// Lint judges a change with pylint's error checks (stage 1).
//
//	go tool mage lint
//
// Lints the Python files of [lint].paths the change touched, at HEAD and at
// its base (the merge base with origin/main, or HEAD's parent when HEAD is
// on it), with the repository's own pylint configuration; only findings
// the change introduced fail, the others are listed as existing. Each
// script directory a script imports from is on pylint's path for it. The
// interpreter is checked against requires-python: files it cannot parse
// are one line, a warning (an error under CI=true). The checkout's
// pre-commit hooks run over the change when .venv/bin/pre-commit exists.
//
// Environment:
//
//	TPUCI_LINT_BASE=<ref>        the base to compare with (default origin/main, main; on GitHub
//	                             origin/$GITHUB_BASE_REF)
//	TPUCI_LINT_BASELINE=<file>   lint all files; compare with an earlier lint-findings.json
//	TPUCI_REPO, TPUCI_CONFIG, TPUCI_OUT, TPUCI_PYTHON  see the README
//
// Outputs: $TPUCI_OUT/lint.json, lint-findings.json (every finding at HEAD,
// a baseline for later runs), junit/lint.xml, summary.md, logs/lint/; one
// annotation per new finding on GitHub.
func Lint(ctx context.Context) error { return stage(ctx, "lint", lint.Body) }

// UnitTest1 runs the 1-chip and CPU unit suites (stage 2, after lint).
//
//	go tool mage unitTest1
//
// Runs every [[suite]] with target = "unitTest1", one process per file,
// every file even after failures. Each file has its suite's
// timeout_per_file (the whole process tree is killed); a failed file is
// retried, up to the suite's reruns (else [triage] retries) times, only
// when its log matches an infrastructure rule or it is known to flake on
// main; a timeout or a plain test failure is not.
//
// Environment:
//
//	TPUCI_PARTITION=ID/COUNT  run share ID (from 0) of COUNT of each suite, split like
//	                          run_suite.py's auto_partition
//	TPUCI_SUITE=a,b           run only these suites of the target
//	TPUCI_SELECT=<file>       run only the test files listed there (ci:plan writes select.txt)
//	TPUCI_ONLY=path[::test]   run only these files or tests, e.g. a/test_x.py::TestX.test_y
//	                          (a path this job does not run fails before any work)
//	TPUCI_RERUN_FROM=<dir>    run only what failed in those earlier results (a CI re-run)
//	TPUCI_DURATIONS=<file>    balance partitions on measured minutes (a run's durations.json)
//	TPUCI_DEPS=workflow       do not run upstream targets: the CI workflow orders the jobs
//	TPUCI_FORCE=1             rerun upstream targets that passed for this commit and config
//	TPUCI_CHIPS=N             chip count override; without TPUs, N host devices on CPU
//	TPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock (0 fails at once)
//	TPUCI_VERBOSE=1           stream every file's output (otherwise shown on failure)
//
// Upstream targets that already passed for the same commit and config
// (their $TPUCI_OUT/<target>.json record) are not run again.
//
// Outputs: $TPUCI_OUT/unitTest1.json, junit/unitTest1.xml, summary.md,
// durations.json, logs/unitTest1/<suite>/<file>.log.
func UnitTest1(ctx context.Context) error {
	return stage(ctx, "unitTest1", suite.Suites("unitTest1"))
}

// E2e runs the end-to-end suites (stage 3, after unitTest1).
//
//	go tool mage e2e
//
// Same runner, environment and outputs as unitTest1, for suites with
// target = "e2e"; 4-chip suites run only where 4 chips are (or on CPU with
// 4 host devices when the host has no TPU).
func E2e(ctx context.Context) error {
	return stage(ctx, "e2e", suite.Suites("e2e"))
}

// Pallas runs kernel benchmarks against their baselines (after lint, not the tests).
//
//	go tool mage pallas
//
// Each [[pallas.kernel]] script runs with the repository's Python, even
// after another failed. With format = "json" it prints one JSON line per
// case ({"kernel","case","time_ms"}) and each time is judged against
// [pallas].baselines for this device with the kernel's tolerance; with
// format = "exit-code" the script judges itself. Baselines hold only on
// the device fingerprint that recorded them (CPU model and cores, or TPU
// generation and chips); elsewhere the cases are skipped unjudged.
//
// Environment:
//
//	TPUCI_KERNELS=a,b         run only these kernels
//	TPUCI_PARTITION=ID/COUNT  run this share of the kernels
//	TPUCI_COMPARE=<ref>       compare with that revision on this host instead of baselines (or
//	                          [pallas].compare, e.g. "merge-base")
//	TPUCI_COMPARE_ROUNDS=10   rounds of base and head, interleaved (or [pallas].rounds)
//	TPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock
//
// Outputs: $TPUCI_OUT/pallas.json, junit/pallas.xml, summary.md (verdict
// table), logs/pallas/<kernel>.log. pallas:baseline records new baselines.
func Pallas(ctx context.Context) error {
	return stage(ctx, "pallas", pallasBody())
}

// Perf runs the serving benchmarks against versioned baselines (stage 4, after e2e).
//
//	go tool mage perf
//
// For each [[perf.case]] the model server of its [[server]] profile is
// launched once (free port on 127.0.0.1, readiness wait, log captured,
// whole tree killed afterwards) with recompilation detection on, and tpuci's
// Go client runs the benchmark (random token ids, max concurrency, request
// rate, warmup). Every request must complete, no recompilation may happen
// during the measured phase, and each metric is judged against the
// baseline for the profile's device (v6e-1, v6e-4, sim) with its tolerance.
//
// Environment:
//
//	TPUCI_CASES=a,b           run only these cases
//	TPUCI_PARTITION=ID/COUNT  run this share of the cases
//	TPUCI_SERVER_ARGS="..."   extra flags for every server (e.g. --sim-slowdown 1.2)
//	TPUCI_COMPARE=<ref>       compare with that revision's servers on this host instead of
//	                          baselines (or [perf].compare)
//	TPUCI_COMPARE_ROUNDS=10   rounds of base and head, interleaved (or [perf].rounds)
//	TPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock
//
// Outputs: $TPUCI_OUT/perf.json (every metric, baseline, tolerance and
// margin), junit/perf.xml, summary.md (verdict table),
// logs/perf/server-<profile>.log and per-case benchmark results.
// perf:baseline records new baselines from a results file.
func Perf(ctx context.Context) error {
	return stage(ctx, "perf", perfBody())
}

// UnitTest4 runs the 4-chip unit suites (stage 5, expensive: after perf).
//
//	go tool mage unitTest4
//
// Same runner, environment and outputs as unitTest1, for suites with
// target = "unitTest4".
func UnitTest4(ctx context.Context) error {
	return stage(ctx, "unitTest4", suite.Suites("unitTest4"))
}

// Accuracy evaluates served models against accuracy thresholds (stage 5, after perf).
//
//	go tool mage accuracy
//
// For each [[accuracy.case]] the model server of its [[server]] profile is
// launched once (shared by cases of the same profile), N questions of the
// dataset are sampled with the case's seed and asked through
// /v1/chat/completions, and the score (with its standard error) is judged
// against the baseline for that model and device: it may drop at most the
// allowed drop (2 points by default). Datasets come from [accuracy].data_dir
// or a checksummed cache.
//
// Environment:
//
//	TPUCI_CASES=a,b           run only these cases
//	TPUCI_PARTITION=ID/COUNT  run this share of the cases (balanced on their minutes)
//	TPUCI_OFFLINE=1           never download datasets (cache or data_dir only)
//	TPUCI_EVAL_CACHE=<dir>    dataset cache directory
//	TPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock
//
// Outputs: $TPUCI_OUT/accuracy.json, junit/accuracy.xml, summary.md,
// accuracy/<case>.json and accuracy/<case>.jsonl (one line per question),
// logs/accuracy/server-<profile>.log.
func Accuracy(ctx context.Context) error {
	return stage(ctx, "accuracy", accuracyBody())
}

// Nightly runs the nightly matrix, records history and writes the report.
//
//	go tool mage nightly
//
// Runs every case of the [nightly] matrix (perf points per model, max
// concurrency and ISL/OSL; accuracy datasets per model), one server per
// model, and records each result with commit, date, device, profile and
// versions in the history store (local by default; a git data repository
// with TPUCI_NIGHTLY_GIT). Each metric is compared with its recent history
// and its floor; regressions are flagged with their size, nights affected
// and commit range. A failed case never loses the others' results.
//
// Environment:
//
//	TPUCI_CASES=glob,glob        run a subset of case keys (see nightly:list)
//	TPUCI_NIGHTLY_MODELS=a,b     run only these models (ci:matrix nightly sets it per job)
//	TPUCI_PARTITION=ID/COUNT     run this share of the models
//	TPUCI_NIGHTLY_DATE=YYYY-MM-DD  the night to record (default today, UTC)
//	TPUCI_NIGHTLY_SCHEDULED=1    a complete scheduled run: write the nightly status record
//	TPUCI_NIGHTLY_HISTORY=<dir>  local history store
//	TPUCI_NIGHTLY_GIT=<url>      shared git data repository (token: TPUCI_NIGHTLY_GIT_TOKEN)
//
// Outputs: $TPUCI_OUT/nightly.json, nightly/report.html (plots, tables,
// Perfetto links), nightly/digest.md, nightly/traces/,
// nightly/nightly-status.json (complete scheduled runs only).
func Nightly(ctx context.Context) error {
	return stage(ctx, "nightly", nightlyBody())
}

// MultiHost runs the multi-host cases on a GKE TPU slice (weekly and on demand).
//
//	go tool mage multiHost
//
// Each [[multihost.case]] is one Indexed Job through the Kubernetes API
// (client-go, the cluster of KUBECONFIG): the Jobs and Services an earlier
// run of the same workflow left are deleted by label; a headless Service
// and an Indexed Job are created (one pod per host, google.com/tpu =
// chips_per_host, GKE's TPU node selector and toleration, TPU_WORKER_ID
// from the completion index, TPU_WORKER_HOSTNAMES and
// TPU_PROCESS_ADDRESSES from the Service, the run's identity as labels
// and annotations); every pod must be Ready within ready_timeout (else
// the pod and why: FailedScheduling, image pull, eviction); rank 0's log
// is streamed, the others kept as files; the Job is watched until
// Complete or Failed, or the case's deadline; a failure is diagnosed
// (pods, events, each rank's exit code and last lines). The Job and the
// Service are deleted on every end: pass, failure, deadline, SIGINT or
// SIGTERM (exit 130 or 143).
//
// Config ([multihost] in tpuci.toml):
//
//	namespace = "default"         image = "..." (each case may override)
//	accelerator = "tpu-v6e-slice" node_pool = "" (cloud.google.com/gke-nodepool)
//	ready_timeout = "15m"         deadline = "90m" (per case too)
//	grace_period = "30s"          SIGTERM to SIGKILL for a rank
//	[[multihost.case]] name, topology ("4x4"), hosts, chips_per_host,
//	  suite (run_suite.py --suite) or command (argv), env, image, deadline
//
// Classes (internal/failclass; rank 0's exit code, or, when rank 0 was
// killed (137/143) or has none, the highest tagged code of the other
// ranks, 30 > 20 > 10):
//
//	passed      every rank exited 0                              retry: no
//	infra       exit 10, evicted, or killed with no tagged code  retry: yes
//	threshold   exit 20: a gate missed                           retry: no
//	case-crash  exit 30, OOMKilled, or another code              retry: no
//	readiness   not every pod Ready before the deadline          retry: yes
//
// Environment:
//
//	KUBECONFIG              the cluster (get-gke-credentials sets it)
//	TPUCI_CASES=a,b         run only these cases
//	GITHUB_WORKFLOW         whose leftovers are deleted (default "local")
//	GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT  the run's identity in labels
//
// Outputs: $TPUCI_OUT/multiHost.json, junit/multiHost.xml, summary.md,
// logs/multiHost/<case>/{rank-N.log,objects.yaml,diagnosis.txt,result.json};
// step outputs failure_class and should_retry.
//
// Workflow: .github/workflows/multi-host-test.yml (weekly, and manual
// dispatch with an optional cases input) keeps only Google's auth
// (Workload Identity Federation, no secret) and get-gke-credentials in
// YAML, then runs `tpuci multiHost`; one concurrency group, never
// cancelled, so two runs never share the slice. The README's
// "Adopting tpuci in SGLang-JAX" shows the change from SGLang-JAX's own.
func MultiHost(ctx context.Context) error {
	return stage(ctx, "multiHost", multihost.Body)
}

// PR runs the whole pipeline in progressive order and prints one summary.
//
//	go tool mage pr
//
// Stages, each after the one it needs: lint; unitTest1; e2e; pallas (after
// lint only); perf (after e2e); unitTest4 and accuracy (after perf). A
// stage runs when what it needs passed, even after an unrelated failure,
// and shows as not run otherwise. Targets that already passed for
// this commit and config are not run again (TPUCI_FORCE=1 reruns them).
// SIGINT or SIGTERM stops every child process tree, keeps the partial
// reports and exits 130 (SIGINT) or 143 (SIGTERM); failures exit 1.
//
// Outputs: $TPUCI_OUT/summary.md and per target <target>.json,
// junit/<target>.xml and logs/<target>/.
func PR(ctx context.Context) (err error) {
	defer report.FitError(&err)
	s, err := pipeline.Current()
	if err != nil {
		return err
	}
	steps := prSteps()
	if err := oneTarget(s, "pr"); err != nil {
		return err
	}
	if err = checkAll(ctx, s, steps); err == nil {
		err = s.Progressive(ctx, steps, invoke)
	}
	s.PrintSummary()
	s.Flush()
	return summarized(s, s.ExitCode(err))
}
