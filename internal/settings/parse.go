package settings

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/partition"
)

// Settings is the environment, parsed and validated once.
type Settings struct {
	// Getenv is the raw lookup, for variables that are not tpuci's own:
	// those children inherit (PYTHONPATH, XLA_FLAGS) and the credentials
	// whose variable names the config chooses (see Credential).
	Getenv func(string) string

	Repo, Config, Out, Python string
	Partition                 partition.Spec // zero: the whole target
	Suites                    []string       // TPUCI_SUITE
	Select                    string         // TPUCI_SELECT
	Only                      []string       // TPUCI_ONLY: path[::test] entries
	RerunFrom                 string         // TPUCI_RERUN_FROM
	Durations                 string         // TPUCI_DURATIONS
	RecordDurations           bool           // TPUCI_RECORD_DURATIONS
	DepsFromWorkflow          bool           // TPUCI_DEPS=workflow
	Force                     bool
	Verbose                   bool
	MageVerbose               bool // MAGEFILE_VERBOSE (mage -v)
	LockFile                  string
	LockWait                  time.Duration // default 30m
	Cases                     []string      // TPUCI_CASES
	Kernels                   []string      // TPUCI_KERNELS
	ServerArgs                []string      // TPUCI_SERVER_ARGS, split on spaces
	DryRun                    bool
	Offline                   bool
	EvalCache                 string
	JAXCache                  string
	BenchServing              string
	BenchStreams              int           // 0: the client's default
	BenchDuration             time.Duration // 0: the client's default
	Chromium                  string
	CI                        bool // CI=true

	Lint    Lint
	Plan    Plan
	Release Release
	GitHub  GitHub

	Kubeconfig string // KUBECONFIG

	Nightly         Nightly
	NightlyGit      string // TPUCI_NIGHTLY_GIT; "none" disables it
	NightlyGitToken Masked // TPUCI_NIGHTLY_GIT_TOKEN
	NightlyStatus   string // TPUCI_NIGHTLY_STATUS
	NotifyWebhook   Masked // TPUCI_NOTIFY_WEBHOOK

	raw map[string]string // every variable of Table but the secrets, as set

	// Same-host A/B of perf and pallas.
	Compare       string // TPUCI_COMPARE: the base ref; "" to use the config's
	CompareRounds int    // TPUCI_COMPARE_ROUNDS; 0 to use the config's
}

// Lint is what the lint target reads.
type Lint struct {
	Changed  string // TPUCI_LINT_CHANGED
	Base     string // TPUCI_LINT_BASE
	Baseline string // TPUCI_LINT_BASELINE
}

// Nightly is what the nightly target reads besides the data repository.
type Nightly struct {
	Models    []string // TPUCI_NIGHTLY_MODELS
	Date      string   // TPUCI_NIGHTLY_DATE (YYYY-MM-DD); "": today, UTC
	Scheduled bool     // TPUCI_NIGHTLY_SCHEDULED, or GITHUB_EVENT_NAME=schedule
	History   string   // TPUCI_NIGHTLY_HISTORY
}

// Plan is what the ci: targets read besides GitHub's variables.
type Plan struct {
	Base    string   // TPUCI_BASE
	Labels  []string // TPUCI_LABELS
	Needs   string   // TPUCI_NEEDS (JSON)
	Plan    string   // TPUCI_PLAN (JSON)
	Results string   // TPUCI_RESULTS
	PR      int      // TPUCI_PR; 0: the payload's
}

// Release is what the release targets read.
type Release struct {
	Channel    string    // TPUCI_RELEASE_CHANNEL: "", release or nightly
	DryRun     bool      // TPUCI_RELEASE_DRY_RUN
	Publish    bool      // TPUCI_RELEASE_PUBLISH
	Force      bool      // TPUCI_RELEASE_FORCE
	Override   string    // TPUCI_RELEASE_OVERRIDE
	Date       time.Time // TPUCI_RELEASE_DATE; zero: unset
	Arch       string    // TPUCI_RELEASE_ARCH
	SkipPull   bool      // TPUCI_RELEASE_SKIP_PULL
	BaseMirror string    // TPUCI_RELEASE_BASE_MIRROR
	Image      string    // TPUCI_RELEASE_IMAGE
	Repository string    // TPUCI_PYPI_REPOSITORY
}

// GitHub is the GitHub Actions environment tpuci uses.
type GitHub struct {
	Actions     bool   // GITHUB_ACTIONS=true
	StepSummary string // GITHUB_STEP_SUMMARY
	Output      string // GITHUB_OUTPUT
	EventName   string // GITHUB_EVENT_NAME
	EventPath   string // GITHUB_EVENT_PATH
	BaseRef     string // GITHUB_BASE_REF
	Ref         string // GITHUB_REF
	RefName     string // GITHUB_REF_NAME
	SHA         string // GITHUB_SHA
	RunID       string // GITHUB_RUN_ID
	RunAttempt  string // GITHUB_RUN_ATTEMPT
	Workflow    string // GITHUB_WORKFLOW
	ServerURL   string // GITHUB_SERVER_URL
	Repository  string // GITHUB_REPOSITORY
	APIURL      string // GITHUB_API_URL
	Token       Masked // GITHUB_TOKEN
}

// Masked is a credential. It prints as *** (with fmt, in JSON), so a
// struct holding it can be printed or logged; Reveal gives the value to
// the one call that needs it.
type Masked string

// Reveal returns the credential itself.
func (m Masked) Reveal() string { return string(m) }

// String hides the value: *** when set, empty when not.
func (m Masked) String() string {
	if m == "" {
		return ""
	}
	return "***"
}

// GoString hides the value from %#v.
func (m Masked) GoString() string { return strconv.Quote(m.String()) }

// MarshalText hides the value from encoders.
func (m Masked) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Credential reads a credential whose variable the config names
// ([release].pypi_token_env, registry_user/registry_pass, [nightly.git]
// token_env; the defaults are in Table). It is read when needed, not at
// start, since only the config knows the name.
func (s *Settings) Credential(name string) Masked {
	if name == "" || s.Getenv == nil {
		return ""
	}
	return Masked(s.Getenv(name))
}

// Value is the text a variable of Table was set to ("" when unset, and
// for secrets always): for fingerprints of the inputs that change a
// result.
func (s *Settings) Value(name string) string {
	if s == nil {
		return ""
	}
	return s.raw[name]
}

// Parse reads every variable of Table through getenv and fails on the
// first value that does not have its variable's form, naming it.
func Parse(getenv func(string) string) (*Settings, error) {
	var errs []string
	raw := map[string]string{}
	for _, v := range Table {
		val := getenv(v.Name)
		if err := v.check(val); err != nil {
			errs = append(errs, err.Error())
		}
		if v.Kind != Secret && val != "" {
			raw[v.Name] = val
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("settings: %s", strings.Join(errs, "; "))
	}
	s := &Settings{
		Getenv: getenv, raw: raw,
		Repo: getenv("TPUCI_REPO"), Config: getenv("TPUCI_CONFIG"), Out: getenv("TPUCI_OUT"), Python: getenv("TPUCI_PYTHON"),
		Suites: list(getenv("TPUCI_SUITE")), Select: getenv("TPUCI_SELECT"), Durations: getenv("TPUCI_DURATIONS"),
		Only: list(getenv("TPUCI_ONLY")), RerunFrom: strings.TrimSpace(getenv("TPUCI_RERUN_FROM")),
		RecordDurations: isSet(getenv("TPUCI_RECORD_DURATIONS")), DepsFromWorkflow: strings.TrimSpace(getenv("TPUCI_DEPS")) == "workflow",
		Force: isSet(getenv("TPUCI_FORCE")), Verbose: isSet(getenv("TPUCI_VERBOSE")), MageVerbose: isSet(getenv("MAGEFILE_VERBOSE")),
		LockFile: getenv("TPUCI_LOCK_FILE"), LockWait: 30 * time.Minute,
		Cases: list(getenv("TPUCI_CASES")), Kernels: list(getenv("TPUCI_KERNELS")), ServerArgs: strings.Fields(getenv("TPUCI_SERVER_ARGS")),
		DryRun: isSet(getenv("TPUCI_DRY_RUN")), Offline: isSet(getenv("TPUCI_OFFLINE")), EvalCache: getenv("TPUCI_EVAL_CACHE"), JAXCache: getenv("TPUCI_JAX_CACHE"),
		BenchServing: getenv("TPUCI_BENCH_SERVING"), Chromium: getenv("TPUCI_CHROMIUM"), CI: getenv("CI") == "true",
		Lint: Lint{Changed: getenv("TPUCI_LINT_CHANGED"), Base: getenv("TPUCI_LINT_BASE"), Baseline: getenv("TPUCI_LINT_BASELINE")},
		Plan: Plan{Base: getenv("TPUCI_BASE"), Labels: list(getenv("TPUCI_LABELS")), Needs: getenv("TPUCI_NEEDS"),
			Plan: getenv("TPUCI_PLAN"), Results: getenv("TPUCI_RESULTS")},
		Release: parseRelease(getenv), GitHub: parseGitHub(getenv),
		NightlyGit: getenv("TPUCI_NIGHTLY_GIT"), NightlyGitToken: Masked(getenv("TPUCI_NIGHTLY_GIT_TOKEN")), NightlyStatus: getenv("TPUCI_NIGHTLY_STATUS"),
		NotifyWebhook: Masked(getenv("TPUCI_NOTIFY_WEBHOOK")),
		Kubeconfig:    getenv("KUBECONFIG"),
	}
	s.Partition, _ = ParsePartition(getenv("TPUCI_PARTITION"))
	if v := getenv("TPUCI_LOCK_WAIT"); v != "" {
		s.LockWait, _ = time.ParseDuration(strings.TrimSpace(v))
	}
	s.Nightly = Nightly{Models: list(getenv("TPUCI_NIGHTLY_MODELS")), Date: getenv("TPUCI_NIGHTLY_DATE"), History: getenv("TPUCI_NIGHTLY_HISTORY"),
		Scheduled: isSet(getenv("TPUCI_NIGHTLY_SCHEDULED")) || getenv("GITHUB_EVENT_NAME") == "schedule"}
	s.Plan.PR, _ = strconv.Atoi(strings.TrimSpace(getenv("TPUCI_PR")))
	s.Compare = getenv("TPUCI_COMPARE")
	if v := getenv("TPUCI_COMPARE_ROUNDS"); v != "" {
		s.CompareRounds, _ = strconv.Atoi(v)
	}
	if v := getenv("TPUCI_BENCH_STREAMS"); v != "" {
		s.BenchStreams, _ = strconv.Atoi(strings.TrimSpace(v))
	}
	if v := getenv("TPUCI_BENCH_DURATION"); v != "" {
		s.BenchDuration, _ = time.ParseDuration(strings.TrimSpace(v))
	}
	return s, nil
}

// parseRelease reads the release group; Parse has checked every value.
func parseRelease(getenv func(string) string) Release {
	r := Release{Channel: strings.TrimSpace(getenv("TPUCI_RELEASE_CHANNEL")), DryRun: isSet(getenv("TPUCI_RELEASE_DRY_RUN")),
		Publish: isSet(getenv("TPUCI_RELEASE_PUBLISH")), Force: isSet(getenv("TPUCI_RELEASE_FORCE")),
		Override: getenv("TPUCI_RELEASE_OVERRIDE"), Arch: getenv("TPUCI_RELEASE_ARCH"), SkipPull: isSet(getenv("TPUCI_RELEASE_SKIP_PULL")),
		BaseMirror: getenv("TPUCI_RELEASE_BASE_MIRROR"), Image: getenv("TPUCI_RELEASE_IMAGE"), Repository: getenv("TPUCI_PYPI_REPOSITORY")}
	if v := strings.TrimSpace(getenv("TPUCI_RELEASE_DATE")); v != "" {
		d, _ := Lookup("TPUCI_RELEASE_DATE")
		r.Date, _ = time.Parse(d.Layout, v)
	}
	return r
}

func parseGitHub(getenv func(string) string) GitHub {
	return GitHub{Actions: getenv("GITHUB_ACTIONS") == "true", StepSummary: getenv("GITHUB_STEP_SUMMARY"), Output: getenv("GITHUB_OUTPUT"),
		EventName: getenv("GITHUB_EVENT_NAME"), EventPath: getenv("GITHUB_EVENT_PATH"), BaseRef: getenv("GITHUB_BASE_REF"),
		Ref: getenv("GITHUB_REF"), RefName: getenv("GITHUB_REF_NAME"), SHA: getenv("GITHUB_SHA"), RunID: getenv("GITHUB_RUN_ID"),
		RunAttempt: getenv("GITHUB_RUN_ATTEMPT"), Workflow: getenv("GITHUB_WORKFLOW"),
		ServerURL: getenv("GITHUB_SERVER_URL"), Repository: getenv("GITHUB_REPOSITORY"), APIURL: getenv("GITHUB_API_URL"),
		Token: Masked(getenv("GITHUB_TOKEN"))}
}

// check validates one value against its variable's kind.
// maxShown bounds the value an error repeats: the rest is the user's own.
const maxShown = 60

func (v Var) check(val string) error {
	if strings.TrimSpace(val) == "" {
		return nil
	}
	shown := val
	if r := []rune(shown); len(r) > maxShown {
		shown = string(r[:maxShown-1]) + "…"
	}
	if v.Kind == Secret {
		shown = "***"
	}
	fail := func(why, want string) error { return fmt.Errorf("%s=%s: %s (want %s)", v.Name, shown, why, want) }
	val = strings.TrimSpace(val)
	switch v.Kind {
	case List:
		if len(list(val)) == 0 {
			return fail("names nothing", "comma-separated names, or unset it for "+v.Default)
		}
	case Bool:
		if _, ok := boolValue(val); !ok {
			return fail("not a yes/no value", "1 or 0")
		}
	case Int:
		if why := v.intProblem(val); why != "" {
			return fail(why, fmt.Sprintf("a whole number of at least %d", v.Min))
		}
	case Duration:
		if why := v.durationProblem(val); why != "" {
			want := "a duration such as 0s, 30s or 10m"
			if v.Min > 0 {
				want = "a positive duration such as 10s"
			}
			return fail(why, want)
		}
	case Choice:
		if !slices.Contains(v.Choices, val) {
			return fail("unknown value", "one of "+strings.Join(v.Choices, ", "))
		}
	case Date:
		if _, err := time.Parse(v.Layout, val); err != nil {
			return fail("not a date", "a date as "+layoutText(v.Layout))
		}
	case Partition:
		_, err := ParsePartition(val)
		return err
	case Revision:
		if why := gitcmd.RevisionProblem(val); why != "" {
			return fmt.Errorf("%s=%q: %s (want a branch, tag, SHA or HEAD~1)", v.Name, val, why)
		}
	case URL:
		if why := gitcmd.RemoteProblem(val); why != "" {
			return fmt.Errorf("%s=%q: %s (want a URL or a path)", v.Name, val, why)
		}
	}
	return nil
}

// intProblem says what is wrong with a whole-number value, or "".
func (v Var) intProblem(val string) string {
	n, err := strconv.Atoi(val)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return "out of range"
	case err != nil:
		return "not a whole number"
	case n < 0 && v.Min >= 0:
		return "negative"
	case n < v.Min:
		return fmt.Sprintf("below %d", v.Min)
	}
	return ""
}

// durationProblem says what is wrong with a duration value, or "".
func (v Var) durationProblem(val string) string {
	d, err := time.ParseDuration(val)
	if err != nil {
		if _, nerr := strconv.ParseFloat(val, 64); nerr == nil {
			return "a number without a unit"
		}
		return "not a duration"
	}
	switch {
	case d < 0:
		return "negative"
	case d == 0 && v.Min > 0:
		return "not positive"
	}
	return ""
}

// layoutText shows a Go time layout as users write it (20060102 ->
// YYYYMMDD).
func layoutText(layout string) string {
	return strings.NewReplacer("2006", "YYYY", "01", "MM", "02", "DD").Replace(layout)
}

// ParsePartition reads an ID/COUNT share such as 0/4 (the first of four)
// or 3/4 (the last). An empty value is the whole target.
func ParsePartition(s string) (partition.Spec, error) {
	if strings.TrimSpace(s) == "" {
		return partition.Spec{}, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	id, err1 := strconv.Atoi(strings.TrimSpace(a))
	count, err2 := strconv.Atoi(strings.TrimSpace(b))
	fail := func(why string) (partition.Spec, error) {
		example := "0/2"
		if err2 == nil && count > 0 {
			example = fmt.Sprintf("0/%d, the last %d/%d", count, count-1, count)
		}
		return partition.Spec{}, fmt.Errorf("TPUCI_PARTITION=%s: %s (ID from 0, e.g. %s)", s, why, example)
	}
	if !ok {
		return fail("want ID/COUNT")
	}
	switch {
	case err1 != nil:
		return fail(fmt.Sprintf("ID %q is not a whole number", a))
	case err2 != nil:
		return fail(fmt.Sprintf("COUNT %q is not a whole number", b))
	case count <= 0:
		return fail("COUNT must be positive")
	case id < 0:
		return fail("ID must not be negative")
	case id >= count:
		return fail("ID must be below COUNT")
	}
	return partition.Spec{ID: id, Count: count}, nil
}

func boolValue(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "no", "off":
		return false, true
	case "1", "true", "yes", "on":
		return true, true
	}
	return false, false
}

func isSet(s string) bool { b, _ := boolValue(s); return b }

func list(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Defaults are the settings of an empty environment.
func Defaults() *Settings {
	s, _ := Parse(func(string) string { return "" })
	return s
}
