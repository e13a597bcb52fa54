package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/sgl-project/tpuci/internal/debian"
	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/pylex"
	"github.com/sgl-project/tpuci/internal/stages"
	"github.com/sgl-project/tpuci/internal/tinymodel"
)

// maxErrors caps how many problems one validation reports.
const maxErrors = 8

// SuiteTargets are the targets a suite may belong to.
var SuiteTargets = stages.SuiteTargets()

// GateTargets are the targets path filters and labels may select.
var GateTargets = stages.All()

// Validate checks values the decoder cannot: duplicates, impossible
// numbers, references between sections, and that every path stays inside
// the checkout at root (and, when root is not empty, that the files read
// exist; see CheckPaths). Quarantine entries are dated against today, UTC.
func (c *Config) Validate(root string) error { return c.ValidateAt(root, time.Now()) }

// ValidateAt is Validate on the given day: an entry of [[quarantine]]
// that expired before it is an error.
func (c *Config) ValidateAt(root string, today time.Time) error {
	v := validator{c: c, root: root, knownServers: c.serverNames(), knownCases: c.caseRefs()}
	v.paths(true)
	v.lint()
	v.suites()
	v.servers()
	v.perf()
	v.accuracy()
	v.pallas()
	v.nightly()
	v.multiHost()
	v.gating()
	v.ci()
	v.triage()
	v.quarantine(today)
	v.release()
	return v.joined()
}

// joined is the problems found, at most maxErrors of them.
func (v *validator) joined() error {
	if n := len(v.errs); n > maxErrors {
		v.errs = append(v.errs[:maxErrors], fmt.Errorf("%s: ... and %d more problems", v.c.Source, n-maxErrors))
	}
	return errors.Join(v.errs...)
}

type validator struct {
	c    *Config
	root string
	errs []error
	// Names looked up once per reference: searching the lists instead
	// made a config with many cases and servers quadratic to validate.
	knownServers map[string]bool
	knownCases   map[string]bool // "accuracy:<name>" and "perf:<name>"
}

// serverNames is the set of launch profile names.
func (c *Config) serverNames() map[string]bool {
	names := make(map[string]bool, len(c.Servers))
	for _, s := range c.Servers {
		names[s.Name] = true
	}
	return names
}

// caseRefs is the set of references covered_by may use.
func (c *Config) caseRefs() map[string]bool {
	refs := make(map[string]bool, len(c.Accuracy.Cases)+len(c.Perf.Cases))
	for _, a := range c.Accuracy.Cases {
		refs["accuracy:"+a.Name] = true
	}
	for _, p := range c.Perf.Cases {
		refs["perf:"+p.Name] = true
	}
	return refs
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, v.c.errAt(path, format, args...))
}

func (v *validator) unique(seen map[string]bool, path, kind, name string) {
	if name == "" {
		v.add(path, "%s has no name", kind)
		return
	}
	if seen[name] {
		v.add(path, "duplicate %s %q", kind, name)
	}
	seen[name] = true
}

// positive fails a negative duration, and a zero one the file sets
// (leaving the key out gives the default; "0s" is not a default).
func (v *validator) positiveDuration(path string, d Duration) {
	if d.Duration < 0 || (d.Duration == 0 && v.c.pos.has(path)) {
		v.add(path, "must be a positive duration such as \"90s\" or \"30m\", not %s (leave the key out for the default)", d.Duration)
	}
}

func (v *validator) lint() {
	l := v.c.Lint
	v.positiveDuration("lint.timeout", l.Timeout)
	if l.Jobs < 0 {
		v.add("lint.jobs", "must be 0 (one per core) or more, not %d", l.Jobs)
	}
}

func (v *validator) suites() {
	names := map[string]bool{}
	for i, s := range v.c.Suites {
		at := fmt.Sprintf("suite[%d]", i)
		v.unique(names, at+".name", "suite", s.Name)
		if s.Target != "" && !slices.Contains(SuiteTargets, s.Target) {
			v.add(at+".target", "unknown target %q (one of %v, or empty)", s.Target, SuiteTargets)
		}
		if s.Target != "" && s.Exclude != "" {
			v.add(at+".exclude", "suite %q has target %q and is excluded (%s): keep one", s.Name, s.Target, s.Exclude)
		}
		if s.Chips < 0 || s.Chips > 256 {
			v.add(at+".chips", "impossible chip count %d", s.Chips)
		}
		if s.Partitions < 1 {
			v.add(at+".partitions", "must be at least 1 (the number of jobs of the suite's matrix), not %d", s.Partitions)
		} else if len(s.Files) > 0 && s.Partitions > len(s.Files) {
			v.add(at+".partitions", "%d partitions for %d files: each partition needs a file; use at most %d", s.Partitions, len(s.Files), len(s.Files))
		}
		v.positiveDuration(at+".timeout_per_file", s.TimeoutPerFile)
		if s.Reruns < 0 || s.Reruns > 10 {
			v.add(at+".reruns", "must be between 0 and 10, not %d", s.Reruns)
		}
		files := map[string]bool{}
		for j, f := range s.Files {
			fat := fmt.Sprintf("%s.files[%d]", at, j)
			key := f.Path
			if len(f.Methods) > 0 {
				key = fmt.Sprint(f.Path, f.Methods)
			}
			if f.Path == "" {
				v.add(fat+".path", "missing")
			} else if files[key] {
				v.add(fat+".path", "duplicate entry %q in suite %q", f.Path, s.Name)
			}
			files[key] = true
			if f.CoveredBy != "" && !v.knownCases[f.CoveredBy] {
				v.add(fat+".covered_by", "%q names no case: use \"accuracy:<case>\" or \"perf:<case>\" with a configured case name", f.CoveredBy)
			}
			if !(f.Minutes > 0) || math.IsInf(f.Minutes, 0) {
				v.add(fat+".minutes", "estimate must be a positive number of minutes, not %v", f.Minutes)
			}
			switch f.Runner {
			case RunnerPython, RunnerPytest:
				if len(f.Methods) > 0 {
					v.add(fat+".methods", "methods need runner = \"unittest\"")
				}
			case RunnerUnittest:
				if len(f.Methods) == 0 {
					v.add(fat+".methods", "runner \"unittest\" needs at least one method (Class.test_name)")
				}
			default:
				v.add(fat+".runner", "unknown runner %q (python, pytest or unittest)", f.Runner)
			}
		}
	}
}

func (v *validator) servers() {
	names := map[string]bool{}
	for i, s := range v.c.Servers {
		at := fmt.Sprintf("server[%d]", i)
		v.unique(names, at+".name", "server", s.Name)
		switch {
		case s.Model == "":
			v.add(at+".model", "missing")
		case strings.HasPrefix(s.Model, "-"):
			// It follows --model-path: never let it read as a flag.
			v.add(at+".model", "%q starts with '-': a model is a hub name or a path", s.Model)
		case tinymodel.Is(s.Model):
			if _, err := tinymodel.Lookup(s.Model); err != nil {
				v.add(at+".model", "%v", err)
			}
		}
		if s.Chips < 0 || s.TP < 1 || s.EP < 0 {
			v.add(at, "impossible parallelism: chips %d, tp %d, ep %d", s.Chips, s.TP, s.EP)
		}
		if s.Chips > 0 && s.TP > s.Chips {
			v.add(at+".tp", "tp %d exceeds chips %d", s.TP, s.Chips)
		}
		v.positiveDuration(at+".ready_timeout", s.ReadyTimeout)
		for j, a := range s.Args {
			for _, own := range serverOwnedFlags {
				if a == own || strings.HasPrefix(a, own+"=") {
					v.add(fmt.Sprintf("%s.args[%d]", at, j), "%s is set by tpuci (from the profile's fields or a free port); remove it from args", own)
				}
			}
		}
		if len(s.Command) > 0 && s.Command[0] == "" {
			v.add(at+".command", "empty program name")
		}
	}
}

// serverOwnedFlags are the launch flags tpuci sets itself.
var serverOwnedFlags = []string{"--model-path", "--host", "--port", "--tp-size", "--ep-size"}

func (v *validator) server(path, name string) {
	if v.knownServers[name] {
		return
	}
	v.add(path, "unknown server %q (define it in a [[server]] block)", name)
}

func (v *validator) perf() {
	names := map[string]bool{}
	for i, pc := range v.c.Perf.Cases {
		at := fmt.Sprintf("perf.case[%d]", i)
		v.unique(names, at+".name", "perf case", pc.Name)
		v.server(at+".server", pc.Server)
		v.positiveDuration(at+".timeout", pc.Timeout)
		if pc.NumPrompts < 1 || pc.InputLen < 1 || pc.OutputLen < 1 || pc.MaxConcurrency < 1 {
			v.add(at, "num_prompts, input_len, output_len and max_concurrency must be at least 1")
		}
		if pc.RangeRatio < 0 || pc.RangeRatio > 1 {
			v.add(at+".range_ratio", "must be within [0, 1]")
		}
		if pc.RequestRate < 0 {
			v.add(at+".request_rate", "must be 0 (infinite) or positive")
		}
		if len(pc.Metrics) == 0 {
			v.add(at+".metrics", "name at least one metric to judge")
		}
		for j, m := range pc.Metrics {
			if MetricDirection(m) == 0 {
				v.add(fmt.Sprintf("%s.metrics[%d]", at, j), "metric %q has no known direction: use a latency key ending in _ms (lower is better) or a *throughput key (higher is better)", m)
			}
		}
		if pc.Minutes < 0 || math.IsNaN(pc.Minutes) || math.IsInf(pc.Minutes, 0) {
			v.add(at+".minutes", "estimate must be a finite number of minutes >= 0, not %v", pc.Minutes)
		}
	}
	if v.c.Perf.Partitions < 0 {
		v.add("perf.partitions", "must be 0 or more, not %d", v.c.Perf.Partitions)
	}
	v.rounds("perf.rounds", v.c.Perf.Rounds)
	for m, tol := range v.c.Perf.Tolerances {
		if !(tol > 0 && tol < 1) {
			v.add("perf.tolerances."+m, "must be a fraction in (0, 1), e.g. 0.08 for 8%%, not %v", tol)
		}
		if MetricDirection(m) == 0 {
			v.add("perf.tolerances."+m, "metric %q has no known direction (a key ending in _ms or containing throughput)", m)
		}
	}
}

// MetricDirection says which way a benchmark metric improves: -1 when
// lower is better (latencies: keys ending in _ms), +1 when higher is
// better (keys containing throughput), 0 when unknown.
func MetricDirection(metric string) int {
	switch {
	case strings.HasSuffix(metric, "_ms"):
		return -1
	case strings.Contains(metric, "throughput"):
		return 1
	}
	return 0
}

// Datasets the accuracy stage knows how to load.
var Datasets = []string{"mmlu", "mmlu_pro", "gsm8k", "aime24", "aime25", "math", "mmmu"}

func (v *validator) accuracy() {
	names := map[string]bool{}
	for i, ac := range v.c.Accuracy.Cases {
		at := fmt.Sprintf("accuracy.case[%d]", i)
		v.unique(names, at+".name", "accuracy case", ac.Name)
		v.server(at+".server", ac.Server)
		if !slices.Contains(Datasets, ac.Dataset) {
			v.add(at+".dataset", "unknown dataset %q (one of %v)", ac.Dataset, Datasets)
		}
		if ac.Samples < 0 {
			v.add(at+".samples", "must be 0 (all) or positive")
		}
		if ac.Concurrency < 0 {
			v.add(at+".concurrency", "must be 0 (default 32) or positive, not %d", ac.Concurrency)
		}
		if ac.MaxTokens < 0 {
			v.add(at+".max_tokens", "must be 0 (default 2048) or positive, not %d", ac.MaxTokens)
		}
		if ac.Shots < 0 {
			v.add(at+".shots", "must be 0 (zero-shot) or positive, not %d", ac.Shots)
		} else if ac.Shots > 0 && ac.Dataset != "mmlu" && ac.Dataset != "mmlu_pro" {
			v.add(at+".shots", "few-shot prompts exist for mmlu and mmlu_pro only; remove shots for %s", ac.Dataset)
		}
		if ac.Minutes < 0 || math.IsNaN(ac.Minutes) || math.IsInf(ac.Minutes, 0) {
			v.add(at+".minutes", "estimate must be a finite number of minutes >= 0, not %v", ac.Minutes)
		}
		v.positiveDuration(at+".timeout", ac.Timeout)
	}
	a := v.c.Accuracy
	if a.Partitions < 0 {
		v.add("accuracy.partitions", "must be 0 or more, not %d", a.Partitions)
	} else if a.Partitions > len(a.Cases) && len(a.Cases) > 0 {
		v.add("accuracy.partitions", "%d partitions for %d cases: each partition needs a case; use at most %d", a.Partitions, len(a.Cases), len(a.Cases))
	}
}

func (v *validator) pallas() {
	names := map[string]bool{}
	for i, k := range v.c.Pallas.Kernels {
		at := fmt.Sprintf("pallas.kernel[%d]", i)
		v.unique(names, at+".name", "kernel", k.Name)
		switch k.Format {
		case "", KernelJSON:
			if !(k.Tolerance > 0 && k.Tolerance <= 1) {
				v.add(at+".tolerance", "must be a fraction in (0, 1], e.g. 0.10 for 10%%")
			}
		case KernelExitCode:
			if k.Tolerance < 0 || k.Tolerance > 1 {
				v.add(at+".tolerance", "must be a fraction in [0, 1] (the script applies its own)")
			}
		default:
			v.add(at+".format", "unknown format %q (json: the script prints {\"kernel\",\"case\",\"time_ms\"} lines; exit-code: it judges itself)", k.Format)
		}
		if k.File == "" {
			v.add(at+".file", "missing")
		}
		if k.Minutes < 0 || math.IsNaN(k.Minutes) || math.IsInf(k.Minutes, 0) {
			v.add(at+".minutes", "estimate must be a finite number of minutes >= 0, not %v", k.Minutes)
		}
		v.positiveDuration(at+".timeout", k.Timeout)
	}
	if v.c.Pallas.Partitions < 0 {
		v.add("pallas.partitions", "must be 0 or more, not %d", v.c.Pallas.Partitions)
	}
	v.rounds("pallas.rounds", v.c.Pallas.Rounds)
}

func (v *validator) gating() {
	for label, targets := range v.c.Gating.Labels {
		for _, t := range targets {
			if !slices.Contains(GateTargets, t) {
				v.add("gating.labels."+label, "unknown target %q (one of %v)", t, GateTargets)
			}
		}
	}
	names := map[string]bool{}
	for i, f := range v.c.Gating.Filters {
		at := fmt.Sprintf("gating.filter[%d]", i)
		v.unique(names, at+".name", "filter", f.Name)
		for j, p := range f.Paths {
			pat := p
			if len(pat) > 0 && pat[0] == '!' {
				pat = pat[1:]
			}
			if !doublestar.ValidatePattern(pat) {
				v.add(fmt.Sprintf("%s.paths[%d]", at, j), "invalid glob %q", p)
			}
		}
		for j, t := range f.Targets {
			if !slices.Contains(GateTargets, t) {
				v.add(fmt.Sprintf("%s.targets[%d]", at, j), "unknown target %q (one of %v)", t, GateTargets)
			}
		}
	}
	g := v.c.Gating
	for key, globs := range map[string][]string{"gating.run_all": g.RunAll, "gating.ignore": g.Ignore} {
		for j, p := range globs {
			if !doublestar.ValidatePattern(strings.TrimPrefix(p, "!")) {
				v.add(fmt.Sprintf("%s[%d]", key, j), "invalid glob %q", p)
			}
		}
	}
	for chips, label := range g.Runners {
		n, err := strconv.Atoi(chips)
		if err != nil || n < 0 {
			v.add("gating.runners."+chips, "key must be a chip count such as \"0\", \"1\" or \"4\", not %q", chips)
		}
		if strings.TrimSpace(label) == "" {
			v.add("gating.runners."+chips, "empty runner label")
		}
	}
}

// Suite returns the suite with that name.
func (c *Config) Suite(name string) (*Suite, bool) {
	for i := range c.Suites {
		if c.Suites[i].Name == name {
			return &c.Suites[i], true
		}
	}
	return nil, false
}

// SuitesFor lists the suites that a target runs, in config order, without
// the files a case covers (copies when some are dropped; a suite whose
// every file is covered is left out).
func (c *Config) SuitesFor(target string) []*Suite {
	var out []*Suite
	for i := range c.Suites {
		s := &c.Suites[i]
		if s.Target != target {
			continue
		}
		if !slices.ContainsFunc(s.Files, func(f File) bool { return f.CoveredBy != "" }) {
			out = append(out, s)
			continue
		}
		cp := *s
		cp.Files = slices.DeleteFunc(slices.Clone(s.Files), func(f File) bool { return f.CoveredBy != "" })
		if len(cp.Files) == 0 {
			continue
		}
		cp.Partitions = min(cp.Partitions, len(cp.Files))
		out = append(out, &cp)
	}
	return out
}

// CaseExists reports whether ref ("accuracy:<case>" or "perf:<case>")
// names a configured case.
func (c *Config) CaseExists(ref string) bool {
	target, name, ok := strings.Cut(ref, ":")
	if !ok {
		return false
	}
	switch target {
	case "accuracy":
		return slices.ContainsFunc(c.Accuracy.Cases, func(a AccuracyCase) bool { return a.Name == name })
	case "perf":
		return slices.ContainsFunc(c.Perf.Cases, func(p PerfCase) bool { return p.Name == name })
	}
	return false
}

// Server returns the launch profile with that name.
func (c *Config) Server(name string) (*Server, bool) {
	for i := range c.Servers {
		if c.Servers[i].Name == name {
			return &c.Servers[i], true
		}
	}
	return nil, false
}

var (
	ownerRepo = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	// imageName is registry/path without tag or digest (lower-case path).
	imageName = regexp.MustCompile(`^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	buildArg  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ReleaseArches are the architectures release images may be built for.
var ReleaseArches = []string{"amd64", "arm64"}

func (v *validator) release() {
	r := v.c.Release
	// [repo].package is put into the code a release's smoke test runs.
	if p := v.c.Repo.Package; p != "" && !pylex.IsModuleName(p) {
		v.add("repo.package", "%q is not a Python module name (e.g. sgl_jax)", p)
	}
	for key, ref := range map[string]string{"perf.compare": v.c.Perf.Compare, "pallas.compare": v.c.Pallas.Compare} {
		if why := gitcmd.RevisionProblem(ref); ref != "" && why != "" {
			v.add(key, "%q %s (want a branch, tag, SHA, HEAD~1 or merge-base)", ref, why)
		}
	}
	if r.OfficialRepo != "" && !ownerRepo.MatchString(r.OfficialRepo) {
		v.add("release.official_repo", "%q is not owner/name (e.g. sgl-project/sglang-jax)", r.OfficialRepo)
	}
	switch r.VersionSource {
	case "", "scm":
	case "file":
		if v.c.Repo.VersionFile == "" {
			v.add("release.version_source", `"file" needs [repo].version_file (a file with __version__ = "X.Y.Z")`)
		}
	default:
		v.add("release.version_source", `unknown source %q ("file" or "scm")`, r.VersionSource)
	}
	if r.BaseRecipe != "" && r.BaseRecipe != debian.Recipe {
		v.add("release.base_recipe", "unknown base %q (only %q: Debian with python3, built from Debian's packages)", r.BaseRecipe, debian.Recipe)
	}
	if why := debian.SuiteProblem(r.BaseSuite); r.BaseSuite != "" && why != "" {
		v.add("release.base_suite", "%q %s", r.BaseSuite, why)
	}
	if r.Image != "" && !imageName.MatchString(r.Image) {
		v.add("release.image", "%q is not an image name without tag (e.g. docker.io/lmsysorg/sglang-jax)", r.Image)
	}
	seen := map[string]bool{}
	for i, a := range r.Arches {
		at := fmt.Sprintf("release.arches[%d]", i)
		if !slices.Contains(ReleaseArches, a) {
			v.add(at, "unknown architecture %q (one of %v)", a, ReleaseArches)
		}
		if seen[a] {
			v.add(at, "duplicate architecture %q", a)
		}
		seen[a] = true
	}
	for i, a := range r.VersionArgs {
		if !buildArg.MatchString(a) {
			v.add(fmt.Sprintf("release.version_args[%d]", i), "%q is not a build argument name", a)
		}
	}
	for k := range r.BuildArgs {
		if !buildArg.MatchString(k) {
			v.add("release.build_args."+k, "%q is not a build argument name", k)
		}
	}
	v.positiveDuration("release.smoke_timeout", r.SmokeTimeout)
	for _, f := range []struct{ key, val string }{{"pypi_repository", r.PyPIRepository}, {"pypi_json_url", r.PyPIJSONURL}} {
		if f.val == "" {
			continue
		}
		if u, err := url.Parse(f.val); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add("release."+f.key, "%q is not an http(s) URL", f.val)
		}
	}
	for _, f := range []struct{ key, val string }{{"pypi_token_env", r.PyPITokenEnv}, {"registry_username_env", r.RegistryUser}, {"registry_password_env", r.RegistryPass}} {
		if f.val != "" && !buildArg.MatchString(f.val) {
			v.add("release."+f.key, "%q is not an environment variable name", f.val)
		}
	}
	v.positiveDuration("release.nightly_max_age", r.NightlyMaxAge)
	v.positiveDuration("release.nightly_success_max_age", r.NightlySuccessMaxAge)
}

// NightlyMetrics are the metrics nightly cases are judged on: TTFT and
// input throughput at OSL 1, ITL and output throughput at longer outputs,
// and the score of evaluations.
var NightlyMetrics = []string{"median_ttft_ms", "input_throughput", "median_itl_ms", "output_throughput", "score"}

var (
	nightlyName  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	nightlyPoint = regexp.MustCompile(`^c[0-9]+-i[0-9]+-o[0-9]+$`)
)

func (v *validator) nightly() {
	n := v.c.Nightly
	if n.Partitions < 0 {
		v.add("nightly.partitions", "must be 0 or more, not %d", n.Partitions)
	}
	names := map[string]bool{}
	for i, m := range n.Models {
		v.nightlyModel(fmt.Sprintf("nightly.model[%d]", i), m, names)
	}
	v.positive("nightly.concurrencies", n.Concurrencies)
	v.positive("nightly.ttft_input_lens", n.TTFTInputLens)
	v.positive("nightly.itl_input_lens", n.ITLInputLens)
	if n.PromptsPerConcurrency < 0 {
		v.add("nightly.prompts_per_concurrency", "must be 0 (default 3) or positive, not %d", n.PromptsPerConcurrency)
	}
	if n.ITLOutputLen < 0 || n.ITLOutputLen == 1 {
		v.add("nightly.itl_output_len", "must be at least 2 (decode points need output tokens), or 0 for 1024; got %d", n.ITLOutputLen)
	}
	if n.TracePoint != "" && !nightlyPoint.MatchString(n.TracePoint) {
		v.add("nightly.trace_point", "%q is not a perf point such as \"c64-i1024-o1024\"", n.TracePoint)
	}
	if n.TraceSteps < 0 {
		v.add("nightly.trace_steps", "must be 0 (default) or positive, not %d", n.TraceSteps)
	}
	v.positiveDuration("nightly.case_timeout", n.CaseTimeout)
	v.nightlyGit(n.Git)
	v.nightlyRegression(n.Regression)
	for i, f := range n.Floors {
		at := fmt.Sprintf("nightly.floor[%d]", i)
		if f.Cases == "" || !doublestar.ValidatePattern(f.Cases) {
			v.add(at+".cases", "%q is not a glob over case keys (e.g. \"perf/qwen3-8b-tp1/c64-*\")", f.Cases)
		}
		if !slices.Contains(NightlyMetrics, f.Metric) {
			v.add(at+".metric", "unknown metric %q (one of %v)", f.Metric, NightlyMetrics)
		}
		if !(f.Value > 0) || math.IsInf(f.Value, 0) {
			v.add(at+".value", "must be a positive number, not %v", f.Value)
		}
	}
}

// nightlyModel checks one [[nightly.model]]; names collects the names
// seen so far.
func (v *validator) nightlyModel(at string, m NightlyModel, names map[string]bool) {
	v.unique(names, at+".name", "nightly model", m.Name)
	if m.Name != "" && !nightlyName.MatchString(m.Name) {
		v.add(at+".name", "%q is not a case-key segment: use lower-case letters, digits, '.', '_' and '-' (e.g. qwen3-8b-tp1)", m.Name)
	}
	v.server(at+".server", m.Server)
	if !m.Perf && len(m.Datasets) == 0 {
		v.add(at, "model %q runs nothing: set perf = true or list datasets", m.Name)
	}
	seen := map[string]bool{}
	for j, d := range m.Datasets {
		if !slices.Contains(Datasets, d) {
			v.add(fmt.Sprintf("%s.datasets[%d]", at, j), "unknown dataset %q (one of %v)", d, Datasets)
		}
		if seen[d] {
			v.add(fmt.Sprintf("%s.datasets[%d]", at, j), "duplicate dataset %q", d)
		}
		seen[d] = true
	}
	v.positive(at+".concurrencies", m.Concurrencies)
	if m.ContextLength < 0 {
		v.add(at+".context_length", "must be 0 (no limit) or positive, not %d", m.ContextLength)
	}
	if m.Samples < 0 || m.Shots < 0 || m.MaxTokens < 0 || m.EvalParallel < 0 {
		v.add(at, "samples, shots, max_tokens and eval_concurrency must be 0 (default) or positive")
	}
	if m.Minutes < 0 || math.IsNaN(m.Minutes) || math.IsInf(m.Minutes, 0) {
		v.add(at+".minutes", "estimate must be a finite number of minutes >= 0, not %v", m.Minutes)
	}
}

// nightlyGit checks [nightly.git].
func (v *validator) nightlyGit(g NightlyGit) {
	if g.TokenEnv != "" && !buildArg.MatchString(g.TokenEnv) {
		v.add("nightly.git.token_env", "%q is not an environment variable name", g.TokenEnv)
	}
	if g.Dir != "" && (filepath.IsAbs(g.Dir) || strings.HasPrefix(filepath.Clean(g.Dir), "..")) {
		v.add("nightly.git.dir", "%q must be a subdirectory of the data repository", g.Dir)
	}
	if g.TraceURL != "" {
		if u, err := url.Parse(g.TraceURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add("nightly.git.trace_url", "%q is not an http(s) URL", g.TraceURL)
		}
	}
}

// nightlyRegression checks [nightly.regression].
func (v *validator) nightlyRegression(r NightlyRegression) {
	if r.BaselineNights < 0 || r.RecentNights < 0 || r.MinNights < 0 {
		v.add("nightly.regression", "baseline_nights, recent_nights and min_nights must be 0 (default) or positive")
	}
	if r.BaselineNights > 0 && r.MinNights > r.BaselineNights {
		v.add("nightly.regression.min_nights", "%d exceeds baseline_nights %d: the window could never hold enough nights", r.MinNights, r.BaselineNights)
	}
	for key, pct := range map[string]float64{"perf_threshold_pct": r.PerfThresholdPct, "accuracy_threshold_pct": r.AccuracyThresholdPct} {
		if pct < 0 || pct >= 100 || math.IsNaN(pct) {
			v.add("nightly.regression."+key, "must be a percentage in (0, 100), e.g. 8 for 8%%, not %v", pct)
		}
	}
	if r.MinZ < 0 || math.IsNaN(r.MinZ) || math.IsInf(r.MinZ, 0) {
		v.add("nightly.regression.min_z", "must be a finite number >= 0, not %v", r.MinZ)
	}
}

// positive reports the non-positive entries of a list of counts.
func (v *validator) positive(path string, xs []int) {
	for i, x := range xs {
		if x < 1 {
			v.add(fmt.Sprintf("%s[%d]", path, i), "must be at least 1, not %d", x)
		}
	}
}

// rounds checks a comparison's rounds: 0 (the default) or enough for a
// 95% interval.
func (v *validator) rounds(at string, n int) {
	if n != 0 && n < 4 {
		v.add(at, "must be at least 4 (fewer rounds give no 95%% interval), not %d", n)
	}
}

// dnsLabel is a namespace name; caseName names the Job and the Service,
// which must start with a letter.
var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	caseName = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
)

// topologyForm is a TPU slice topology: 2x2, 4x4, 2x2x4.
var topologyForm = regexp.MustCompile(`^[1-9][0-9]*(x[1-9][0-9]*){1,2}$`)

func (v *validator) multiHost() {
	m := v.c.MultiHost
	if !dnsLabel.MatchString(m.Namespace) {
		v.add("multihost.namespace", "%q is not a Kubernetes namespace name", m.Namespace)
	}
	v.positiveDuration("multihost.ready_timeout", m.ReadyTimeout)
	v.positiveDuration("multihost.deadline", m.Deadline)
	if m.GracePeriod.Duration < 0 {
		v.add("multihost.grace_period", "must be 0 or more, not %s", m.GracePeriod.Duration)
	}
	names := map[string]bool{}
	for i, c := range m.Cases {
		at := fmt.Sprintf("multihost.case[%d]", i)
		v.unique(names, at+".name", "case", c.Name)
		// The pods are <name>-<index>-<suffix> and the Service the name:
		// 40 characters leave room within the 63 of a hostname.
		if !caseName.MatchString(c.Name) || len(c.Name) > 40 {
			v.add(at+".name", "%q must be a DNS label of at most 40 characters ([a-z0-9-], "+
				"a letter first)", c.Name)
		}
		if !topologyForm.MatchString(c.Topology) {
			v.add(at+".topology", "%q is not a TPU topology such as 4x4 or 2x2x4", c.Topology)
		}
		if c.Hosts < 1 {
			v.add(at+".hosts", "must be 1 or more, not %d", c.Hosts)
		}
		if c.ChipsPerHost < 1 {
			v.add(at+".chips_per_host", "must be 1 or more, not %d", c.ChipsPerHost)
		}
		if chips, ok := topologyChips(c.Topology); ok && c.Hosts > 0 && c.ChipsPerHost > 0 &&
			chips != c.Hosts*c.ChipsPerHost {
			v.add(at+".hosts", "%d hosts x %d chips is not the %d chips of topology %s",
				c.Hosts, c.ChipsPerHost, chips, c.Topology)
		}
		if c.Image == "" {
			v.add(at+".image", "missing (set it here or in [multihost].image)")
		}
		if len(c.Command) == 0 {
			v.add(at+".command", "missing: set suite or command (the argv each rank runs)")
		}
		v.positiveDuration(at+".deadline", c.Deadline)
	}
}

// topologyChips is the chip count of a topology: the product of its sides.
func topologyChips(t string) (int, bool) {
	if !topologyForm.MatchString(t) {
		return 0, false
	}
	n := 1
	for _, side := range strings.Split(t, "x") {
		k, err := strconv.Atoi(side)
		if err != nil {
			return 0, false
		}
		n *= k
	}
	return n, true
}
