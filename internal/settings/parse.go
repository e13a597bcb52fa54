package settings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/partition"
)

// Settings is the environment, parsed and validated once.
type Settings struct {
	Getenv func(string) string // the raw lookup, for variables children inherit

	Repo, Config, Out, Python string
	Partition                 partition.Spec // zero: the whole target
	Suites                    []string       // TPUCI_SUITE
	Select                    string         // TPUCI_SELECT
	Durations                 string         // TPUCI_DURATIONS
	DepsFromWorkflow          bool           // TPUCI_DEPS=workflow
	Force                     bool
	Verbose                   bool
	LockFile                  string
	LockWait                  time.Duration // default 30m
	Cases                     []string      // TPUCI_CASES
	Kernels                   []string      // TPUCI_KERNELS
	ServerArgs                []string      // TPUCI_SERVER_ARGS, split on spaces
	DryRun                    bool
	Offline                   bool
	EvalCache                 string
	BenchServing              string
	BenchStreams              int           // 0: the client's default
	BenchDuration             time.Duration // 0: the client's default
	Chromium                  string
	CI                        bool // CI=true

	// Same-host A/B of perf and pallas.
	Compare       string // TPUCI_COMPARE: the base ref; "" to use the config's
	CompareRounds int    // TPUCI_COMPARE_ROUNDS; 0 to use the config's
}

// Parse reads every variable of Table through getenv and fails on the
// first value that does not have its variable's form, naming it.
func Parse(getenv func(string) string) (*Settings, error) {
	var errs []string
	for _, v := range Table {
		if err := v.check(getenv(v.Name)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("settings: %s", strings.Join(errs, "; "))
	}
	s := &Settings{
		Getenv: getenv,
		Repo:   getenv("TPUCI_REPO"), Config: getenv("TPUCI_CONFIG"), Out: getenv("TPUCI_OUT"), Python: getenv("TPUCI_PYTHON"),
		Suites: list(getenv("TPUCI_SUITE")), Select: getenv("TPUCI_SELECT"), Durations: getenv("TPUCI_DURATIONS"),
		DepsFromWorkflow: getenv("TPUCI_DEPS") == "workflow", Force: isSet(getenv("TPUCI_FORCE")), Verbose: isSet(getenv("TPUCI_VERBOSE")),
		LockFile: getenv("TPUCI_LOCK_FILE"), LockWait: 30 * time.Minute,
		Cases: list(getenv("TPUCI_CASES")), Kernels: list(getenv("TPUCI_KERNELS")), ServerArgs: strings.Fields(getenv("TPUCI_SERVER_ARGS")),
		DryRun: isSet(getenv("TPUCI_DRY_RUN")), Offline: isSet(getenv("TPUCI_OFFLINE")), EvalCache: getenv("TPUCI_EVAL_CACHE"),
		BenchServing: getenv("TPUCI_BENCH_SERVING"), Chromium: getenv("TPUCI_CHROMIUM"), CI: getenv("CI") == "true",
	}
	s.Partition, _ = ParsePartition(getenv("TPUCI_PARTITION"))
	if v := getenv("TPUCI_LOCK_WAIT"); v != "" {
		s.LockWait, _ = time.ParseDuration(v)
	}
	s.Compare = getenv("TPUCI_COMPARE")
	if v := getenv("TPUCI_COMPARE_ROUNDS"); v != "" {
		s.CompareRounds, _ = strconv.Atoi(v)
	}
	if v := getenv("TPUCI_BENCH_STREAMS"); v != "" {
		s.BenchStreams, _ = strconv.Atoi(v)
	}
	if v := getenv("TPUCI_BENCH_DURATION"); v != "" {
		s.BenchDuration, _ = time.ParseDuration(v)
	}
	return s, nil
}

// check validates one value against its variable's kind.
func (v Var) check(val string) error {
	if strings.TrimSpace(val) == "" {
		return nil
	}
	fail := func(why, want string) error { return fmt.Errorf("%s=%s: %s (want %s)", v.Name, val, why, want) }
	switch v.Kind {
	case Bool:
		if _, ok := boolValue(val); !ok {
			return fail("not a yes/no value", "1 or 0")
		}
	case Int:
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil {
			return fail("not a whole number", fmt.Sprintf("a whole number of at least %d", v.Min))
		}
		if n < v.Min {
			return fail(fmt.Sprintf("below %d", v.Min), fmt.Sprintf("a whole number of at least %d", v.Min))
		}
	case Duration:
		d, err := time.ParseDuration(strings.TrimSpace(val))
		if err != nil || d < 0 {
			return fail("not a duration", "a duration such as 0s, 30s or 10m")
		}
	case Partition:
		_, err := ParsePartition(val)
		return err
	}
	return nil
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
