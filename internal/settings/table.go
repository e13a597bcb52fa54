// Package settings reads tpuci's environment once: every TPUCI_* variable
// (and the CI and GitHub ones tpuci uses) is listed in Table with its
// form, default and the targets that read it, parsed and validated by
// Parse before any work starts. Nothing else reads a tpuci setting from
// the environment.
package settings

// Kind is the form a variable's value takes.
type Kind string

// The kinds of values.
const (
	String    Kind = "string"
	Bool      Kind = "bool"     // 1/0, true/false, yes/no, on/off
	Int       Kind = "int"      // a whole number of at least Var.Min
	Duration  Kind = "duration" // a Go duration such as 30s or 10m
	Partition Kind = "ID/COUNT" // share ID (from 0) of COUNT
	List      Kind = "list"     // comma-separated names
	Path      Kind = "path"     // a file or directory, relative to where tpuci starts
	Secret    Kind = "secret"   // a credential: never printed (Masked)
	Choice    Kind = "choice"   // one of Var.Choices
	Date      Kind = "date"     // a date as Var.Layout
	Revision  Kind = "revision" // a git revision: a branch, tag, SHA or HEAD~1
	URL       Kind = "url"      // a URL or path that a child process is given
)

// Var documents one environment variable.
type Var struct {
	Name    string
	Kind    Kind
	Min     int      // Int: the smallest value allowed; Duration: 1 when it must be positive
	Choices []string // Choice: the values allowed
	Layout  string   // Date: the Go time layout
	Default string   // what an unset variable means
	Targets string   // the targets that read it
	Doc     string   // one line
}

// Table is every environment variable tpuci reads, in README order.
var Table = []Var{
	{Name: "TPUCI_REPO", Kind: Path, Default: "the current directory when it has python/sgl_jax, else the bundled example (a line says so)", Targets: "all", Doc: "the checkout to test"},
	{Name: "TPUCI_CONFIG", Kind: Path, Default: "tpuci.toml in the repo, else the embedded default (SGLang-JAX's suites as they are today)", Targets: "all", Doc: "the TOML config"},
	{Name: "TPUCI_OUT", Kind: Path, Default: "./tpuci-out", Targets: "all", Doc: "where results go"},
	{Name: "TPUCI_CHIPS", Kind: Int, Min: 0, Default: "detected from /dev/vfio or /dev/accel*", Targets: "all", Doc: "chip count override; without TPUs JAX runs on CPU and 4-chip suites get 4 host devices (XLA_FLAGS=--xla_force_host_platform_device_count=4)"},
	{Name: "TPUCI_PYTHON", Kind: Path, Default: "[repo].python, then the checkout's .venv/bin/python", Targets: "all", Doc: "the interpreter"},
	{Name: "TPUCI_PARTITION", Kind: Partition, Default: "the whole target", Targets: "unitTest1, unitTest4, e2e, perf, pallas, accuracy, nightly, suite:list, nightly:list", Doc: "the share this job runs, split exactly like run_suite.py's auto_partition (more parts than files is an error); it splits the suites whose matrix has COUNT jobs, or every suite when none has; case targets (perf, accuracy, pallas, nightly) split their case lists"},
	{Name: "TPUCI_SUITE", Kind: List, Default: "every suite of the target", Targets: "unitTest1, unitTest4, e2e", Doc: "run only these suites"},
	{Name: "TPUCI_SELECT", Kind: Path, Default: "every file", Targets: "unitTest1, unitTest4, e2e, ci:plan", Doc: "run only the test files listed in this file (ci:plan writes select.txt)"},
	{Name: "TPUCI_ONLY", Kind: List, Default: "every file", Targets: "unitTest1, unitTest4, e2e, perf, accuracy", Doc: "path[::test],...: run only these test files (as a suite lists them) or tests (pytest's test_x or TestX::test_y, unittest's TestX.test_y), for the target asked for; a path not in its share fails before any work"},
	{Name: "TPUCI_RERUN_FROM", Kind: Path, Default: "none", Targets: "all stages (set by .github/actions/tpuci on a re-run)", Doc: "a directory of earlier results (a job's $TPUCI_OUT): run again only what failed there, carry over the rest; go tool mage rerun does the same with $TPUCI_OUT"},
	{Name: "TPUCI_DURATIONS", Kind: Path, Default: "estimates from the config", Targets: "unitTest1, unitTest4, e2e, suite:list, ci:plan", Doc: "balance partitions on measured minutes (a durations.json of an earlier run)"},
	{Name: "TPUCI_RECORD_DURATIONS", Kind: Bool, Default: "record on pushes to main and scheduled runs", Targets: "every stage", Doc: "add this run's measured minutes (suites) and test results (the failure record) to the history"},
	{Name: "TPUCI_DEPS", Kind: Choice, Choices: []string{"workflow"}, Default: "run upstream targets", Targets: "all", Doc: "workflow: do not run upstream targets (the workflow orders the jobs)"},
	{Name: "TPUCI_FORCE", Kind: Bool, Default: "0", Targets: "all", Doc: "rerun upstream targets that already passed"},
	{Name: "TPUCI_LINT_CHANGED", Kind: Revision, Default: "lint every path", Targets: "lint", Doc: "lint only Python files changed since this ref"},
	{Name: "TPUCI_LINT_BASE", Kind: Revision, Default: "GITHUB_BASE_REF, else origin/main", Targets: "lint", Doc: "the ref new lint findings are judged against"},
	{Name: "TPUCI_LINT_BASELINE", Kind: Path, Default: "none", Targets: "lint", Doc: "a lint.json of the base to judge findings against"},
	{Name: "TPUCI_LOCK_WAIT", Kind: Duration, Default: "30m", Targets: "unitTest1, unitTest4, e2e, perf, pallas, accuracy, nightly", Doc: "how long to queue for the host-wide TPU lock; 0 fails at once"},
	{Name: "TPUCI_LOCK_FILE", Kind: Path, Default: "/tmp/tpuci-tpu.lock", Targets: "unitTest1, unitTest4, e2e, perf, pallas, accuracy, nightly", Doc: "the host-wide TPU lock file"},
	{Name: "TPUCI_VERBOSE", Kind: Bool, Default: "0", Targets: "unitTest1, unitTest4, e2e", Doc: "stream every test file's output (otherwise its tail is shown on failure)"},
	{Name: "MAGEFILE_VERBOSE", Kind: Bool, Default: "0", Targets: "all", Doc: "set by mage -v: as TPUCI_VERBOSE, and an internal error shows its stack"},
	{Name: "TPUCI_CASES", Kind: List, Default: "every case", Targets: "perf, accuracy, nightly, nightly:list, multiHost", Doc: "run only these cases (globs for nightly)"},
	{Name: "TPUCI_KERNELS", Kind: List, Default: "every kernel", Targets: "pallas", Doc: "run only these kernels"},
	{Name: "TPUCI_SERVER_ARGS", Kind: String, Default: "none", Targets: "perf, accuracy, nightly", Doc: "extra flags for every model server, e.g. --sim-slowdown 1.2 to see the perf gate fail"},
	{Name: "TPUCI_COMPARE", Kind: Revision, Default: "[perf].compare / [pallas].compare", Targets: "perf, pallas", Doc: "a base ref to run A/B against on this host"},
	{Name: "TPUCI_COMPARE_ROUNDS", Kind: Int, Min: 4, Default: "10", Targets: "perf, pallas", Doc: "A/B rounds (at least 4)"},
	{Name: "TPUCI_KERNEL_SLOWDOWN", Kind: String, Default: "none", Targets: "pallas (read by the example)", Doc: "the example's kernels run this factor slower (to see the pallas gate fail)"},
	{Name: "TPUCI_DRY_RUN", Kind: Bool, Default: "0", Targets: "perf:baseline, accuracy:baseline", Doc: "print the new baseline instead of writing it"},
	{Name: "TPUCI_BENCH_SERVING", Kind: Path, Default: "the bundled Go client", Targets: "bench:client", Doc: "an SGLang-JAX bench_serving.py to drive instead"},
	{Name: "TPUCI_BENCH_STREAMS", Kind: Int, Min: 1, Default: "256", Targets: "bench:client", Doc: "concurrent streams"},
	{Name: "TPUCI_BENCH_DURATION", Kind: Duration, Min: 1, Default: "10s", Targets: "bench:client", Doc: "how long to drive the server"},
	{Name: "TPUCI_OFFLINE", Kind: Bool, Default: "0", Targets: "accuracy, nightly", Doc: "accuracy datasets only from the data dir or cache, never downloaded"},
	{Name: "TPUCI_EVAL_CACHE", Kind: Path, Default: "$TPUCI_OUT/eval-cache", Targets: "accuracy, nightly", Doc: "where downloaded datasets are kept"},
	{Name: "TPUCI_BASE", Kind: Revision, Default: "origin/main", Targets: "ci:plan", Doc: "local ci:plan: the base ref to diff against"},
	{Name: "TPUCI_LABELS", Kind: List, Default: "none", Targets: "ci:plan", Doc: "local ci:plan: labels to pretend"},
	{Name: "TPUCI_NEEDS", Kind: String, Default: "none", Targets: "ci:finish", Doc: "the workflow's needs context as JSON"},
	{Name: "TPUCI_PLAN", Kind: String, Default: "none", Targets: "ci:finish", Doc: "the plan job's output as JSON"},
	{Name: "TPUCI_RESULTS", Kind: Path, Default: "none", Targets: "ci:finish", Doc: "a directory of downloaded job results to merge"},
	{Name: "TPUCI_PR", Kind: Int, Min: 1, Default: "the payload's pull_request.number, or a dispatch's inputs.pr", Targets: "ci:finish", Doc: "the pull request a run reports to (its summary comment) and is judged as a change of"},
	{Name: "TPUCI_NOTIFY_WEBHOOK", Kind: Secret, Default: "none: nothing is posted", Targets: "ci:finish, nightly", Doc: "a Slack-compatible incoming webhook told when main or the nightly turns red, and green again (never printed)"},
	{Name: "TPUCI_NIGHTLY_MODELS", Kind: List, Default: "every model", Targets: "nightly, nightly:list", Doc: "run only these models' cases (ci:matrix sets it per job)"},
	{Name: "TPUCI_NIGHTLY_DATE", Kind: String, Default: "today, UTC", Targets: "nightly", Doc: "YYYY-MM-DD: the night results belong to"},
	{Name: "TPUCI_NIGHTLY_SCHEDULED", Kind: Bool, Default: "0", Targets: "nightly", Doc: "a scheduled run (as GITHUB_EVENT_NAME=schedule)"},
	{Name: "TPUCI_NIGHTLY_HISTORY", Kind: Path, Default: "$TPUCI_OUT/nightly/history", Targets: "nightly", Doc: "the local history store"},
	{Name: "TPUCI_NIGHTLY_GIT", Kind: URL, Default: "[nightly].git; none disables it", Targets: "nightly, release:*", Doc: "a git data repository for history that several jobs push to"},
	{Name: "TPUCI_NIGHTLY_GIT_TOKEN", Kind: Secret, Default: "none", Targets: "nightly, release:*", Doc: "token for TPUCI_NIGHTLY_GIT"},
	{Name: "TPUCI_NIGHTLY_STATUS", Kind: String, Default: "[release].nightly_status", Targets: "release:*", Doc: "path or URL of the nightly status the release gate reads"},
	{Name: "TPUCI_CHROMIUM", Kind: Path, Default: "chromium on PATH", Targets: "nightly", Doc: "the browser that renders the nightly report"},
	{Name: "TPUCI_RELEASE_CHANNEL", Kind: Choice, Choices: []string{"release", "nightly"}, Default: "release", Targets: "release:*", Doc: "what is published: a release, or a dated nightly"},
	{Name: "TPUCI_RELEASE_DRY_RUN", Kind: Bool, Default: "0", Targets: "release:*", Doc: "never publish"},
	{Name: "TPUCI_RELEASE_PUBLISH", Kind: Bool, Default: "0", Targets: "release:*", Doc: "publish (all guards must pass)"},
	{Name: "TPUCI_RELEASE_FORCE", Kind: Bool, Default: "0", Targets: "release:*", Doc: "overwrite existing release tags"},
	{Name: "TPUCI_RELEASE_OVERRIDE", Kind: String, Default: "none", Targets: "release:*", Doc: "written justification to publish despite the nightly gate"},
	{Name: "TPUCI_RELEASE_DATE", Kind: Date, Layout: "20060102", Default: "today, UTC", Targets: "release:*", Doc: "YYYYMMDD of a nightly"},
	{Name: "TPUCI_RELEASE_ARCH", Kind: String, Default: "amd64", Targets: "release:docker", Doc: "the architecture this run builds"},
	{Name: "TPUCI_RELEASE_SKIP_PULL", Kind: Bool, Default: "0", Targets: "release:docker", Doc: "do not pull the previous image for the layer cache"},
	{Name: "TPUCI_RELEASE_BASE_MIRROR", Kind: URL, Default: "the first Debian archive in apt's sources, else http://deb.debian.org/debian", Targets: "release:docker", Doc: "the Debian mirror the debian-python base ([release].base_recipe) is built from"},
	{Name: "TPUCI_RELEASE_IMAGE", Kind: String, Default: "[release].image", Targets: "release:docker", Doc: "the image to build and push"},
	{Name: "TPUCI_PYPI_REPOSITORY", Kind: String, Default: "[release].repository", Targets: "release:pypi", Doc: "the package index to upload to"},
	{Name: "TPUCI_DEPMAP_DIR", Kind: Path, Default: "none", Targets: "depmap (set for the test process)", Doc: "where the traced imports are written"},
	{Name: "TPUCI_DEPMAP_ROOT", Kind: Path, Default: "none", Targets: "depmap (set for the test process)", Doc: "the checkout whose imports are traced"},
	{Name: "TPUCI_DEPMAP_TEST", Kind: String, Default: "none", Targets: "depmap (set for the test process)", Doc: "the test file being traced"},
	{Name: "TPUCI_JAX_CACHE", Kind: Path, Default: "$XDG_CACHE_HOME/tpuci (~/.cache/tpuci)", Targets: "all (the bundled example)", Doc: "where the example's JAX venv is made once when the interpreter lacks JAX (.ci/run pins it so tests share it)"},
	{Name: "TPUCI_K8S_BIN", Kind: Path, Default: "the directory scripts/k8s-binaries.sh --dir prints (~/.cache/tpuci/k8s/<versions>)", Targets: "go test only", Doc: "the control plane the multiHost journeys start (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok); .ci/run builds it once per machine"},
	{Name: "KUBECONFIG", Kind: Path, Default: "~/.kube/config", Targets: "multiHost", Doc: "the cluster the multi-host Jobs run on (google-github-actions/get-gke-credentials sets it)"},
	{Name: "TPUCI_SGLANG_JAX", Kind: Path, Default: "unset: those tests skip", Targets: "go test only", Doc: "a real SGLang-JAX checkout for the opt-in tests"},
	{Name: "TPUCI_SGLANG_JAX_PYTHON", Kind: Path, Default: "unset: the real-server test skips", Targets: "go test only", Doc: "a Python with SGLang-JAX's python[cpu] dependencies, for the test that serves a generated tiny model with its launch_server"},
	{Name: "PYPI_TOKEN", Kind: Secret, Default: "none", Targets: "release:pypi", Doc: "upload token (masked, never written)"},
	{Name: "DOCKER_USERNAME", Kind: String, Default: "none", Targets: "release:docker", Doc: "registry user"},
	{Name: "DOCKER_TOKEN", Kind: Secret, Default: "none", Targets: "release:docker", Doc: "registry token (masked, never written)"},
	{Name: "CI", Kind: String, Default: "unset", Targets: "all", Doc: "true: missing tools and unknown suites are errors, not warnings"},
	{Name: "GITHUB_ACTIONS", Kind: String, Default: "unset", Targets: "all", Doc: "true: groups, annotations and a step summary"},
	{Name: "GITHUB_STEP_SUMMARY", Kind: Path, Default: "unset", Targets: "all", Doc: "where the summary table is appended"},
	{Name: "GITHUB_OUTPUT", Kind: Path, Default: "unset", Targets: "ci:*, multiHost", Doc: "where step outputs are written"},
	{Name: "GITHUB_EVENT_NAME", Kind: String, Default: "unset", Targets: "ci:plan, ci:command, every stage", Doc: "the event: pull_request, push, schedule, workflow_dispatch, issue_comment"},
	{Name: "GITHUB_EVENT_PATH", Kind: Path, Default: "unset", Targets: "ci:plan, ci:command, ci:finish", Doc: "the event payload"},
	{Name: "GITHUB_BASE_REF", Kind: Revision, Default: "unset", Targets: "lint, ci:plan", Doc: "a pull request's base branch"},
	{Name: "GITHUB_REF", Kind: String, Default: "unset", Targets: "ci:plan, release:*, every stage", Doc: "the ref the run is for (refs/heads/main: a run that records)"},
	{Name: "GITHUB_SHA", Kind: String, Default: "unset", Targets: "ci:finish", Doc: "the commit the run is for (a notification names it)"},
	{Name: "GITHUB_REF_NAME", Kind: String, Default: "unset", Targets: "nightly", Doc: "the branch or tag name"},
	{Name: "GITHUB_RUN_ID", Kind: String, Default: "unset", Targets: "every stage, ci:command", Doc: "links a night, a failure record or a failed command's reply to its run; a multi-host run's identity"},
	{Name: "GITHUB_RUN_ATTEMPT", Kind: String, Default: "unset", Targets: "every stage", Doc: "with GITHUB_RUN_ID, a multi-host run's identity and a failure record's attempt"},
	{Name: "RUNNER_NAME", Kind: String, Default: "the host's name", Targets: "every stage", Doc: "the runner a failure record names"},
	{Name: "GITHUB_WORKFLOW", Kind: String, Default: "unset: local", Targets: "multiHost", Doc: "the workflow whose earlier runs' Jobs and Services are leftovers to delete"},
	{Name: "GITHUB_SERVER_URL", Kind: String, Default: "unset", Targets: "nightly, release:docker, every stage, ci:command", Doc: "with GITHUB_REPOSITORY, the source link, a failure record's run link and the links of replies"},
	{Name: "GITHUB_REPOSITORY", Kind: String, Default: "unset", Targets: "ci:plan, nightly, release:*", Doc: "owner/name"},
	{Name: "GITHUB_API_URL", Kind: String, Default: "https://api.github.com", Targets: "ci:plan, ci:command, ci:finish", Doc: "the API the changed files are read from, slash commands call and the PR summary comment is written to"},
	{Name: "GITHUB_TOKEN", Kind: Secret, Default: "unset", Targets: "ci:plan, ci:command, ci:finish, release:*", Doc: "API token (masked, never written)"},
}

// Lookup returns the table entry of name.
func Lookup(name string) (Var, bool) {
	for _, v := range Table {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}
