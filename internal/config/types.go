// Package config loads and validates tpuci's TOML configuration.
package config

import (
	"fmt"
	"strconv"
	"time"
)

// Config is the whole resolved configuration.
type Config struct {
	Repo      Repo              `toml:"repo" json:"repo"`
	Env       map[string]string `toml:"env" json:"env,omitempty"`
	Cache     Cache             `toml:"cache" json:"cache"`
	Lint      Lint              `toml:"lint" json:"lint"`
	Suites    []Suite           `toml:"suite" json:"suite"`
	Servers   []Server          `toml:"server" json:"server,omitempty"`
	Perf      Perf              `toml:"perf" json:"perf"`
	Accuracy  Accuracy          `toml:"accuracy" json:"accuracy"`
	Pallas    Pallas            `toml:"pallas" json:"pallas"`
	Nightly   Nightly           `toml:"nightly" json:"nightly"`
	MultiHost MultiHost         `toml:"multihost" json:"multihost"`
	Release   Release           `toml:"release" json:"release"`
	Gating    Gating            `toml:"gating" json:"gating"`
	CI        CI                `toml:"ci" json:"ci"`
	Triage    Triage            `toml:"triage" json:"triage"`
	// Quarantine mutes tests that fail for a known reason (triage.go).
	Quarantine []Quarantine `toml:"quarantine" json:"quarantine,omitempty"`

	// Source names where the config came from ("embedded default" or a path).
	Source string `toml:"-" json:"source"`
	// Hash identifies the config's content, for stage records.
	Hash string    `toml:"-" json:"hash"`
	pos  positions `toml:"-"`
}

// Repo describes the checkout under test.
type Repo struct {
	Python      string `toml:"python" json:"python,omitempty"`
	Package     string `toml:"package" json:"package"`
	PackageDir  string `toml:"package_dir" json:"package_dir"`
	VersionFile string `toml:"version_file" json:"version_file"`
}

// Cache holds the artifact-reuse settings passed to every child.
type Cache struct {
	XLADir            string   `toml:"xla_dir" json:"xla_dir,omitempty"`
	XLAMinCompileSecs *float64 `toml:"xla_min_compile_secs" json:"xla_min_compile_secs,omitempty"`
	ModelDir          string   `toml:"model_dir" json:"model_dir,omitempty"`
	SccacheDir        string   `toml:"sccache_dir" json:"sccache_dir,omitempty"`
	ShmClean          []string `toml:"shm_clean" json:"shm_clean,omitempty"`
}

// Lint configures the pylint stage.
type Lint struct {
	Paths   []string `toml:"paths" json:"paths"`
	Args    []string `toml:"args" json:"args"`
	Jobs    int      `toml:"jobs" json:"jobs"`
	Timeout Duration `toml:"timeout" json:"timeout"`
}

// Suite is a named list of test files run one per process.
type Suite struct {
	Name           string   `toml:"name" json:"name"`
	Target         string   `toml:"target" json:"target,omitempty"`
	Chips          int      `toml:"chips" json:"chips"`
	Partitions     int      `toml:"partitions" json:"partitions"`
	TimeoutPerFile Duration `toml:"timeout_per_file" json:"timeout_per_file"`
	Reruns         int      `toml:"reruns" json:"reruns"`
	// Exclude says why no target runs the suite (instead of a target).
	Exclude string `toml:"exclude" json:"exclude,omitempty"`
	Files   []File `toml:"files" json:"files"`
	// Pinned says the config sets partitions: [ci].job_minutes keeps them.
	Pinned bool `toml:"-" json:"-"`
}

// File is one entry of a suite.
type File struct {
	Path    string   `toml:"path" json:"path"`
	Minutes float64  `toml:"minutes" json:"minutes"`
	Runner  string   `toml:"runner" json:"runner,omitempty"`
	Methods []string `toml:"methods" json:"methods,omitempty"`
	// CoveredBy names the case that runs instead of this file, as
	// "accuracy:<case>" or "perf:<case>"; the suite's target skips the file.
	CoveredBy string `toml:"covered_by" json:"covered_by,omitempty"`
}

// Runners a suite file may use.
const (
	RunnerPython   = "python"
	RunnerPytest   = "pytest"
	RunnerUnittest = "unittest"
)

// Server is a launch profile for a model server.
type Server struct {
	Name         string            `toml:"name" json:"name"`
	Model        string            `toml:"model" json:"model"`
	Device       string            `toml:"device" json:"device,omitempty"` // baseline key, e.g. v6e-1
	Chips        int               `toml:"chips" json:"chips"`
	TP           int               `toml:"tp" json:"tp"`
	EP           int               `toml:"ep" json:"ep,omitempty"`
	Command      []string          `toml:"command" json:"command,omitempty"` // default: <python> -m sgl_jax.launch_server
	Args         []string          `toml:"args" json:"args,omitempty"`
	Env          map[string]string `toml:"env" json:"env,omitempty"`
	ReadyTimeout Duration          `toml:"ready_timeout" json:"ready_timeout"`
	CacheMiss    *bool             `toml:"cache_miss_check" json:"cache_miss_check,omitempty"`
}

// Perf configures serving benchmarks and their baselines.
type Perf struct {
	Baselines  string     `toml:"baselines" json:"baselines,omitempty"` // TOML file relative to the repository
	Partitions int        `toml:"partitions" json:"partitions,omitempty"`
	Cases      []PerfCase `toml:"case" json:"case,omitempty"`
	// Tolerances per metric (0.08 = 8%) that perf:baseline gives metrics
	// that have no baseline entry yet; existing entries keep theirs.
	Tolerances map[string]float64 `toml:"tolerances" json:"tolerances,omitempty"`
	// Compare judges the cases against a base revision run on the same
	// host instead of baselines: a git ref, or "merge-base" (TPUCI_COMPARE
	// overrides); Rounds is how many times each side runs (default 10).
	Compare string `toml:"compare" json:"compare,omitempty"`
	Rounds  int    `toml:"rounds" json:"rounds,omitempty"`
}

// PerfCase is one benchmark run judged on some metrics.
type PerfCase struct {
	Name           string   `toml:"name" json:"name"`
	Server         string   `toml:"server" json:"server"`
	NumPrompts     int      `toml:"num_prompts" json:"num_prompts"`
	InputLen       int      `toml:"input_len" json:"input_len"`
	OutputLen      int      `toml:"output_len" json:"output_len"`
	RangeRatio     float64  `toml:"range_ratio" json:"range_ratio,omitempty"`
	MaxConcurrency int      `toml:"max_concurrency" json:"max_concurrency"`
	RequestRate    float64  `toml:"request_rate" json:"request_rate,omitempty"` // 0 = infinite
	Warmup         int      `toml:"warmup" json:"warmup,omitempty"`
	Seed           int64    `toml:"seed" json:"seed,omitempty"`
	Metrics        []string `toml:"metrics" json:"metrics"`
	Backend        string   `toml:"backend" json:"backend,omitempty"`
	Minutes        float64  `toml:"minutes" json:"minutes,omitempty"`
	Timeout        Duration `toml:"timeout" json:"timeout,omitempty"` // whole benchmark; default 30m
}

// Accuracy configures evaluation cases.
type Accuracy struct {
	Baselines  string         `toml:"baselines" json:"baselines,omitempty"` // baseline scores and allowed drops (TOML), relative to the repository
	DataDir    string         `toml:"data_dir" json:"data_dir,omitempty"`   // datasets as <data_dir>/<dataset>/<file>, relative to the repository
	CacheDir   string         `toml:"cache_dir" json:"cache_dir,omitempty"` // downloads of public datasets; default: the user cache (TPUCI_EVAL_CACHE overrides)
	Partitions int            `toml:"partitions" json:"partitions,omitempty"`
	Cases      []AccuracyCase `toml:"case" json:"case,omitempty"`
}

// AccuracyCase evaluates one dataset against one served model.
type AccuracyCase struct {
	Name        string   `toml:"name" json:"name"`
	Server      string   `toml:"server" json:"server"`
	Dataset     string   `toml:"dataset" json:"dataset"`
	Samples     int      `toml:"samples" json:"samples"` // 0: the whole dataset (mmmu: 100)
	Seed        int64    `toml:"seed" json:"seed,omitempty"`
	Concurrency int      `toml:"concurrency" json:"concurrency,omitempty"` // requests in flight; 0: 32
	MaxTokens   int      `toml:"max_tokens" json:"max_tokens,omitempty"`   // 0: 2048
	Shots       int      `toml:"shots" json:"shots,omitempty"`             // few-shot examples per prompt (mmlu, mmlu_pro); 0: zero-shot
	Minutes     float64  `toml:"minutes" json:"minutes,omitempty"`         // estimate for partitioning
	Timeout     Duration `toml:"timeout" json:"timeout,omitempty"`         // whole case, server start excluded; 0: 60m
}

// Pallas configures kernel benchmarks.
type Pallas struct {
	Baselines  string   `toml:"baselines" json:"baselines,omitempty"`
	Device     string   `toml:"device" json:"device,omitempty"` // baseline key; default: the host's kind, "cpu" without TPUs
	Partitions int      `toml:"partitions" json:"partitions,omitempty"`
	Kernels    []Kernel `toml:"kernel" json:"kernel,omitempty"`
	// Compare and Rounds: as for [perf]; each kernel's tolerance applies.
	Compare string `toml:"compare" json:"compare,omitempty"`
	Rounds  int    `toml:"rounds" json:"rounds,omitempty"`
}

// Kernel is one kernel benchmark script.
type Kernel struct {
	Name      string   `toml:"name" json:"name"`
	File      string   `toml:"file" json:"file"`
	Args      []string `toml:"args" json:"args,omitempty"`
	Tolerance float64  `toml:"tolerance" json:"tolerance"`
	Minutes   float64  `toml:"minutes" json:"minutes,omitempty"`
	Timeout   Duration `toml:"timeout" json:"timeout"`
	// Format is how the script reports: "json" (default) prints
	// {"kernel","case","time_ms"} lines judged against baselines;
	// "exit-code" judges itself and passes with exit code 0.
	Format string `toml:"format" json:"format,omitempty"`
}

// Kernel report formats.
const (
	KernelJSON     = "json"
	KernelExitCode = "exit-code"
)

// Nightly describes the nightly matrix (perf points and accuracy
// evaluations per model), where results are kept and how regressions are
// judged. internal/nightly documents the defaults of omitted fields.
type Nightly struct {
	Models []NightlyModel `toml:"model" json:"model,omitempty"`
	// Partitions is the CI matrix size: jobs split the models between them,
	// models that need the same chips sharing jobs (at least one per chip count).
	Partitions int `toml:"partitions" json:"partitions,omitempty"`
	// Perf points of every model with perf enabled: each max concurrency
	// with prompts_per_concurrency x concurrency requests, at OSL 1 for
	// each ttft_input_lens ISL (TTFT, input throughput) and at OSL
	// itl_output_len for each itl_input_lens ISL (ITL, output throughput).
	Concurrencies         []int `toml:"concurrencies" json:"concurrencies,omitempty"`
	PromptsPerConcurrency int   `toml:"prompts_per_concurrency" json:"prompts_per_concurrency,omitempty"`
	TTFTInputLens         []int `toml:"ttft_input_lens" json:"ttft_input_lens,omitempty"`
	ITLInputLens          []int `toml:"itl_input_lens" json:"itl_input_lens,omitempty"`
	ITLOutputLen          int   `toml:"itl_output_len" json:"itl_output_len,omitempty"`
	// TracePoint is the perf point ("c64-i1024-o1024") whose run also
	// captures a profiler trace, once per model; a model without it
	// traces its first decode point.
	TracePoint  string   `toml:"trace_point" json:"trace_point,omitempty"`
	TraceSteps  int      `toml:"trace_steps" json:"trace_steps,omitempty"`   // engine steps a trace covers
	CaseTimeout Duration `toml:"case_timeout" json:"case_timeout,omitempty"` // one case, server start excluded
	// History is the local result store (JSON-lines files); relative
	// paths are relative to the repository.
	History    string            `toml:"history" json:"history,omitempty"`
	Git        NightlyGit        `toml:"git" json:"git"`
	Regression NightlyRegression `toml:"regression" json:"regression"`
	Floors     []NightlyFloor    `toml:"floor" json:"floor,omitempty"`
}

// NightlyModel is one model of the matrix: its launch profile, whether
// it runs the perf sweep, and the datasets it is evaluated on.
type NightlyModel struct {
	Name          string `toml:"name" json:"name"` // key segment, e.g. qwen3-8b-tp1
	Server        string `toml:"server" json:"server"`
	Perf          bool   `toml:"perf" json:"perf"`
	Concurrencies []int  `toml:"concurrencies" json:"concurrencies,omitempty"` // overrides [nightly].concurrencies
	// ContextLength leaves out perf points whose ISL+OSL exceed it (0: none).
	ContextLength int      `toml:"context_length" json:"context_length,omitempty"`
	Datasets      []string `toml:"datasets" json:"datasets,omitempty"`
	Samples       int      `toml:"samples" json:"samples,omitempty"` // 0: whole datasets
	Seed          int64    `toml:"seed" json:"seed,omitempty"`
	Shots         int      `toml:"shots" json:"shots,omitempty"`
	MaxTokens     int      `toml:"max_tokens" json:"max_tokens,omitempty"`
	EvalParallel  int      `toml:"eval_concurrency" json:"eval_concurrency,omitempty"`
	Minutes       float64  `toml:"minutes" json:"minutes,omitempty"` // estimate per case, for partitioning
}

// NightlyGit is the shared result store: a git data repository that every
// nightly job clones, writes, commits and pushes.
type NightlyGit struct {
	URL      string `toml:"url" json:"url,omitempty"`             // clone URL or path; empty: local store only
	Branch   string `toml:"branch" json:"branch,omitempty"`       // main
	Dir      string `toml:"dir" json:"dir,omitempty"`             // subdirectory inside the repository (default nightly; "." for the root)
	TokenEnv string `toml:"token_env" json:"token_env,omitempty"` // variable holding an HTTPS token
	// TraceURL is the public base URL of the repository's files (e.g.
	// https://raw.githubusercontent.com/owner/data/main); when set, traces
	// are committed too and the report links them to Perfetto.
	TraceURL string `toml:"trace_url" json:"trace_url,omitempty"`
}

// NightlyRegression tunes regression detection against history.
type NightlyRegression struct {
	BaselineNights       int     `toml:"baseline_nights" json:"baseline_nights,omitempty"`
	RecentNights         int     `toml:"recent_nights" json:"recent_nights,omitempty"`
	MinNights            int     `toml:"min_nights" json:"min_nights,omitempty"`
	PerfThresholdPct     float64 `toml:"perf_threshold_pct" json:"perf_threshold_pct,omitempty"`
	AccuracyThresholdPct float64 `toml:"accuracy_threshold_pct" json:"accuracy_threshold_pct,omitempty"`
	MinZ                 float64 `toml:"min_z" json:"min_z,omitempty"`
}

// NightlyFloor is an absolute limit of a metric over the cases a glob
// matches: a minimum for throughput and scores, a maximum for latencies.
type NightlyFloor struct {
	Cases  string  `toml:"cases" json:"cases"`
	Metric string  `toml:"metric" json:"metric"`
	Value  float64 `toml:"value" json:"value"`
}

// Release describes publishing (release:pypi, release:docker,
// release:version). Empty fields take the defaults internal/release
// documents.
type Release struct {
	OfficialRepo  string `toml:"official_repo" json:"official_repo,omitempty"`   // owner/name allowed to publish
	Branch        string `toml:"branch" json:"branch,omitempty"`                 // branch releases and nightlies publish from (main)
	VersionSource string `toml:"version_source" json:"version_source,omitempty"` // "file" ([repo].version_file) or "scm" (git tag)

	// Docker image.
	Image        string            `toml:"image" json:"image,omitempty"`               // registry/name, no tag
	Dockerfile   string            `toml:"dockerfile" json:"dockerfile,omitempty"`     // relative to the repo; none: tpuci's recipe
	Context      string            `toml:"context" json:"context,omitempty"`           // build context, relative to the repo (".")
	BaseRecipe   string            `toml:"base_recipe" json:"base_recipe,omitempty"`   // "debian-python": a base built first, passed as BASE_IMAGE
	BaseSuite    string            `toml:"base_suite" json:"base_suite,omitempty"`     // its Debian suite (trixie)
	Arches       []string          `toml:"arches" json:"arches,omitempty"`             // architectures of the manifest list
	VersionArgs  []string          `toml:"version_args" json:"version_args,omitempty"` // build args set to the version
	BuildArgs    map[string]string `toml:"build_args" json:"build_args,omitempty"`
	SmokeCommand []string          `toml:"smoke_command" json:"smoke_command,omitempty"` // must print the version
	SmokeTimeout Duration          `toml:"smoke_timeout" json:"smoke_timeout"`
	RegistryUser string            `toml:"registry_username_env" json:"registry_username_env,omitempty"`
	RegistryPass string            `toml:"registry_password_env" json:"registry_password_env,omitempty"`

	// Python package.
	DistName       string `toml:"dist_name" json:"dist_name,omitempty"`                             // default: [project].name of pyproject.toml
	WheelTag       string `toml:"wheel_tag" json:"wheel_tag,omitempty"`                             // py3-none-any
	LegacySdist    bool   `toml:"allow_legacy_sdist_name" json:"allow_legacy_sdist_name,omitempty"` // accept pre-PEP 625 sdist names (setuptools < 69.3)
	BuildIsolation *bool  `toml:"build_isolation" json:"build_isolation,omitempty"`                 // false: python -m build --no-isolation
	PyPIRepository string `toml:"pypi_repository" json:"pypi_repository,omitempty"`                 // upload URL
	PyPIJSONURL    string `toml:"pypi_json_url" json:"pypi_json_url,omitempty"`                     // JSON API root; derived from the upload URL
	PyPITokenEnv   string `toml:"pypi_token_env" json:"pypi_token_env,omitempty"`                   // PYPI_TOKEN

	// Nightly-health gate.
	NightlyStatus        string   `toml:"nightly_status" json:"nightly_status,omitempty"` // path or URL of nightly-status.json
	NightlyMaxAge        Duration `toml:"nightly_max_age" json:"nightly_max_age"`
	NightlySuccessMaxAge Duration `toml:"nightly_success_max_age" json:"nightly_success_max_age"`
	// NightlyWorkflow is the nightly workflow file (e.g. nightly-test.yml): in
	// GitHub Actions (GITHUB_TOKEN set) the gate also checks that the status
	// describes that workflow's latest completed run, and that it succeeded.
	NightlyWorkflow string `toml:"nightly_workflow" json:"nightly_workflow,omitempty"`
}

// Gating holds the PR rules of the coordinator (ci:plan); gating.go has
// the defaults of the optional fields.
type Gating struct {
	RequiredLabel string `toml:"required_label" json:"required_label,omitempty"`
	FullLabel     string `toml:"full_label" json:"full_label,omitempty"` // runs every target in full; default "test:full"
	// Ungated are the quick targets that run on every pull request, with
	// or without the required label; default ["lint"].
	Ungated []string            `toml:"ungated" json:"ungated,omitempty"`
	Labels  map[string][]string `toml:"labels" json:"labels,omitempty"` // label -> targets it adds, in full
	Filters []Filter            `toml:"filter" json:"filter,omitempty"`
	// RunAll: globs of files whose change runs every file of the suites
	// of the targets it enables (build and CI files, shared test helpers).
	RunAll []string `toml:"run_all" json:"run_all,omitempty"`
	// Ignore: globs of files whose change selects no test file (docs).
	Ignore []string `toml:"ignore" json:"ignore,omitempty"`
	// ImportRoots: directories absolute Python imports resolve against,
	// relative to the repository ("." is the root); default [package_dir, "."].
	ImportRoots []string `toml:"import_roots" json:"import_roots,omitempty"`
	// Impact narrows suites to the test files that import a change; default true.
	Impact *bool `toml:"impact" json:"impact,omitempty"`
	// Runners maps a chip count ("0", "1", "4") to the runner label of
	// matrix jobs; a suite gets the smallest runner with enough chips.
	Runners map[string]string `toml:"runners" json:"runners,omitempty"`
	// Models maps the models tests and servers name ("Qwen/Qwen3-8B") to
	// their architectures ("Qwen3ForCausalLM"), the EntryClass names of
	// model files: a change to a model file then selects only the tests
	// that run one of its architectures. A model missing here runs with
	// every model change.
	Models map[string][]string `toml:"models" json:"models,omitempty"`
}

// Filter maps path globs to the targets a change there needs.
type Filter struct {
	Name    string   `toml:"name" json:"name"`
	Paths   []string `toml:"paths" json:"paths"`
	Targets []string `toml:"targets" json:"targets"`
}

// Duration is a time.Duration written as "90s" or "30m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return &durationError{text: string(b)}
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// durationError is a value that is not a duration string; the loader
// finds the key that holds it to name file:line:col and the field.
type durationError struct{ text string }

func (e *durationError) Error() string {
	if _, err := strconv.ParseFloat(e.text, 64); err == nil {
		return fmt.Sprintf("want a duration string such as \"%ss\" or \"30m\", not the bare number %s (units are required)", e.text, e.text)
	}
	return fmt.Sprintf("invalid duration %q (use e.g. \"90s\", \"30m\")", e.text)
}

// CI sizes the PR workflow's jobs and weighs test files.
type CI struct {
	// JobMinutes, when set, sizes each suite's matrix without pinned
	// partitions: the fewest jobs whose longest one fits this many
	// minutes (never below the suite's largest file).
	JobMinutes float64 `toml:"job_minutes" json:"job_minutes,omitempty"`
	// MaxJobs caps the jobs of one suite per runner type, keyed by chip
	// count like [gating.runners] ("0", "1", "4"); default DefaultMaxJobs.
	MaxJobs map[string]int `toml:"max_jobs" json:"max_jobs,omitempty"`
	// History is how many measured runs per file the duration median
	// takes; default DefaultHistoryRuns.
	History int `toml:"history" json:"history,omitempty"`
	// LintMinutes is the lint job's expected duration in the critical
	// path; default DefaultLintMinutes.
	LintMinutes *float64 `toml:"lint_minutes" json:"lint_minutes,omitempty"`
	// DepMapMaxAge is how old a test's recorded dependency map may be and
	// still decide it; default 7 days.
	DepMapMaxAge Duration `toml:"depmap_max_age" json:"depmap_max_age"`
}

// MultiHost configures the multiHost stage: each case is one Indexed Job
// on a GKE TPU slice, one pod per host, run through the Kubernetes API.
type MultiHost struct {
	Namespace    string   `toml:"namespace" json:"namespace"`
	Image        string   `toml:"image" json:"image,omitempty"`
	Accelerator  string   `toml:"accelerator" json:"accelerator"` // cloud.google.com/gke-tpu-accelerator
	NodePool     string   `toml:"node_pool" json:"node_pool,omitempty"`
	ReadyTimeout Duration `toml:"ready_timeout" json:"ready_timeout"` // every pod Ready within
	Deadline     Duration `toml:"deadline" json:"deadline"`           // the whole run, pods ready or not
	// GracePeriod is how long a rank has between SIGTERM and SIGKILL.
	GracePeriod Duration        `toml:"grace_period" json:"grace_period"`
	Cases       []MultiHostCase `toml:"case" json:"case,omitempty"`
}

// MultiHostCase is one multi-host job: a topology and what each rank runs.
type MultiHostCase struct {
	Name         string            `toml:"name" json:"name"`
	Topology     string            `toml:"topology" json:"topology"` // e.g. 4x4
	Hosts        int               `toml:"hosts" json:"hosts"`
	ChipsPerHost int               `toml:"chips_per_host" json:"chips_per_host"`
	Image        string            `toml:"image" json:"image,omitempty"` // default [multihost].image
	NodePool     string            `toml:"node_pool" json:"node_pool,omitempty"`
	Suite        string            `toml:"suite" json:"suite,omitempty"`     // run_suite.py --suite SUITE
	Command      []string          `toml:"command" json:"command,omitempty"` // or this argv
	Env          map[string]string `toml:"env" json:"env,omitempty"`
	Deadline     Duration          `toml:"deadline" json:"deadline"` // default [multihost].deadline
}
