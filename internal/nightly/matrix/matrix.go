// Package matrix expands the [nightly] configuration into cases with stable
// keys, selects them with globs (TPUCI_CASES) and splits them over CI jobs
// (TPUCI_PARTITION).
//
// Keys: perf/<model>/c<concurrency>-i<input len>-o<output len> for
// serving benchmarks and accuracy/<model>/<dataset> for evaluations, where
// <model> is a [[nightly.model]] name. A key names the same measurement on
// every night, so its history is the list of its records.
package matrix

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
)

// Kinds of cases.
const (
	Perf     = "perf"
	Accuracy = "accuracy"
)

// Defaults of omitted [nightly] fields: the design's nightly table.
var (
	DefaultConcurrencies = []int{8, 16, 32, 64, 128, 256}
	DefaultInputLens     = []int{1024, 4096, 8192}
)

// More defaults of omitted [nightly] fields.
const (
	DefaultPromptsPerConcurrency = 3
	DefaultOutputLen             = 1024
	DefaultTraceSteps            = 10
	DefaultCaseTimeout           = 30 * time.Minute
	DefaultMinutes               = 5 // a case without an estimate, for partitioning
)

// Case is one measurement of the nightly matrix.
type Case struct {
	Key    string
	Kind   string // Perf or Accuracy
	Model  string // [[nightly.model]] name
	Server *config.Server

	// Perf points.
	Concurrency int
	InputLen    int
	OutputLen   int
	NumPrompts  int
	Trace       bool // capture a profiler trace while it runs

	// Evaluations.
	Dataset         string
	Samples         int
	Seed            int64
	Shots           int
	MaxTokens       int
	EvalConcurrency int

	Metrics []string // what it is judged on
	Minutes float64
	Timeout time.Duration

	// Excluded says why the model cannot serve this point (see Excluded).
	Excluded string
}

// Point is a perf point's name inside its key: c64-i4096-o1024.
func Point(concurrency, inputLen, outputLen int) string {
	return fmt.Sprintf("c%d-i%d-o%d", concurrency, inputLen, outputLen)
}

// Metrics are the judged metrics of a perf point: TTFT and input
// throughput when it generates one token, ITL and output throughput
// otherwise; evaluations are judged on their score.
func Metrics(kind string, outputLen int) []string {
	switch {
	case kind == Accuracy:
		return []string{"score"}
	case outputLen <= 1:
		return []string{"median_ttft_ms", "input_throughput"}
	}
	return []string{"median_itl_ms", "output_throughput"}
}

// Direction says which way a metric improves: +1 when higher is better
// (throughput, scores), -1 when lower is (latencies), 0 when unknown.
func Direction(metric string) int {
	switch metric {
	case "score":
		return 1
	case "compiles", "compile_seconds": // a server's JAX compiles during the case
		return -1
	}
	return config.MetricDirection(metric)
}

// Build expands the configuration's matrix, in config order: each model's
// perf points (OSL 1 points, then decode points, each by input length and
// concurrency), then its evaluations.
func Build(c *config.Config) ([]Case, error) {
	run, _, err := expand(c)
	return run, err
}

// Excluded lists the perf points of the design's matrix that a model
// cannot serve (its context length is shorter than input plus output),
// each with the reason; they are never run.
func Excluded(c *config.Config) ([]Case, error) {
	_, excluded, err := expand(c)
	return excluded, err
}

// tokens writes a length as the design does: 8192 as 8k, 1 as 1.
func tokens(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%dk", n/1024)
	}
	return fmt.Sprint(n)
}

func expand(c *config.Config) (run, excluded []Case, err error) {
	n := c.Nightly
	concs := or(n.Concurrencies, DefaultConcurrencies)
	ttft := or(n.TTFTInputLens, DefaultInputLens)
	itl := or(n.ITLInputLens, DefaultInputLens)
	osl := n.ITLOutputLen
	if osl == 0 {
		osl = DefaultOutputLen
	}
	per := n.PromptsPerConcurrency
	if per == 0 {
		per = DefaultPromptsPerConcurrency
	}
	timeout := n.CaseTimeout.Duration
	if timeout <= 0 {
		timeout = DefaultCaseTimeout
	}
	var out []Case
	for _, m := range n.Models {
		srv, ok := c.Server(m.Server)
		if !ok {
			return nil, nil, fmt.Errorf("nightly: model %s: unknown server %q (define it in a [[server]] block)", m.Name, m.Server)
		}
		minutes := m.Minutes
		if minutes <= 0 {
			minutes = DefaultMinutes
		}
		if m.Perf {
			var perf []Case
			add := func(cc, in, o int) {
				pc := Case{
					Key: Perf + "/" + m.Name + "/" + Point(cc, in, o), Kind: Perf, Model: m.Name, Server: srv,
					Concurrency: cc, InputLen: in, OutputLen: o, NumPrompts: per * cc,
					Metrics: Metrics(Perf, o), Minutes: minutes, Timeout: timeout,
				}
				if m.ContextLength > 0 && in+o > m.ContextLength {
					pc.Excluded = fmt.Sprintf("context_length %d < %s+%s", m.ContextLength, tokens(in), tokens(o))
					excluded = append(excluded, pc)
					return
				}
				perf = append(perf, pc)
			}
			for _, in := range ttft {
				for _, cc := range or(m.Concurrencies, concs) {
					add(cc, in, 1)
				}
			}
			for _, in := range itl {
				for _, cc := range or(m.Concurrencies, concs) {
					add(cc, in, osl)
				}
			}
			markTrace(perf, n.TracePoint)
			out = append(out, perf...)
		}
		for _, d := range m.Datasets {
			out = append(out, Case{
				Key: Accuracy + "/" + m.Name + "/" + d, Kind: Accuracy, Model: m.Name, Server: srv,
				Dataset: d, Samples: m.Samples, Seed: m.Seed, Shots: m.Shots, MaxTokens: m.MaxTokens,
				EvalConcurrency: m.EvalParallel, Metrics: Metrics(Accuracy, 0), Minutes: minutes, Timeout: timeout,
			})
		}
	}
	seen := map[string]bool{}
	for _, cs := range out {
		if seen[cs.Key] {
			return nil, nil, fmt.Errorf("nightly: case %s appears twice (repeated concurrency or input length in [nightly])", cs.Key)
		}
		seen[cs.Key] = true
	}
	return out, excluded, nil
}

// markTrace marks the model's trace point, else its first decode point,
// else its first point.
func markTrace(perf []Case, point string) {
	if len(perf) == 0 {
		return
	}
	for i := range perf {
		if point != "" && strings.HasSuffix(perf[i].Key, "/"+point) {
			perf[i].Trace = true
			return
		}
	}
	for i := range perf {
		if perf[i].OutputLen > 1 {
			perf[i].Trace = true
			return
		}
	}
	perf[0].Trace = true
}

func or(xs, def []int) []int {
	if len(xs) > 0 {
		return xs
	}
	return def
}

// ParseGlobs splits TPUCI_CASES ("glob,glob") into globs and checks them.
func ParseGlobs(s string) ([]string, error) {
	var out []string
	for _, g := range strings.Split(s, ",") {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("nightly: TPUCI_CASES: %q is not a valid glob (e.g. perf/qwen3-8b-tp1/*, accuracy/**, **/c64-*)", g)
		}
		out = append(out, g)
	}
	return out, nil
}

// Match reports whether a key matches one of the globs. In a glob, *
// stays within one key segment and ** crosses them.
func Match(globs []string, key string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, key); ok {
			return true
		}
	}
	return false
}

// Select keeps the cases matching a glob (all when globs is empty). A
// glob matching no case is an error, so a typo does not pass as an empty
// run.
func Select(cases []Case, globs []string) ([]Case, error) {
	if len(globs) == 0 {
		return cases, nil
	}
	for _, g := range globs {
		if !slices.ContainsFunc(cases, func(c Case) bool { return Match([]string{g}, c.Key) }) {
			return nil, fmt.Errorf("nightly: TPUCI_CASES glob %q matches none of the %d cases (go tool mage nightly:list prints their keys)", g, len(cases))
		}
	}
	var out []Case
	for _, c := range cases {
		if Match(globs, c.Key) {
			out = append(out, c)
		}
	}
	return out, nil
}

// SelectModels keeps the cases of the named models ("name,name"; all when
// empty). An unknown name is an error.
func SelectModels(cases []Case, names string) ([]Case, error) {
	if strings.TrimSpace(names) == "" {
		return cases, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []Case
	found := map[string]bool{}
	for _, c := range cases {
		if want[c.Model] {
			out = append(out, c)
			found[c.Model] = true
		}
	}
	for n := range want {
		if !found[n] {
			return nil, fmt.Errorf("nightly: TPUCI_NIGHTLY_MODELS: no selected case belongs to model %q (the [[nightly.model]] names; go tool mage nightly:list prints the cases)", n)
		}
	}
	return out, nil
}

// Partition returns the cases of partition spec ("ID/COUNT") in matrix
// order, and the others. Models are not split: a model's cases share one
// server start, so partitions are balanced over models on the sum of
// their cases' minutes. The split depends only on the cases, so each job
// of a CI matrix gets the same models every night.
func Partition(cases []Case, spec partition.Spec) (mine, others []Case, err error) {
	mine, others, err = partition.Cases[Case]{Unit: "models",
		Weight: func(c Case) float64 { return c.Minutes },
		Key:    func(c Case) string { return c.Model }}.Split(spec, cases)
	if err != nil {
		return nil, nil, fmt.Errorf("nightly: %w", err)
	}
	return mine, others, nil
}

// Keys lists the cases' keys.
func Keys(cases []Case) []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = c.Key
	}
	return out
}
