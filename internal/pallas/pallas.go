// Package pallas runs the kernel benchmark gate: each [[pallas.kernel]]
// script runs with the repository's Python, and either prints one JSON
// line per case, {"kernel": ..., "case": ..., "time_ms": ...}, judged
// against the per-device baselines with the kernel's tolerance (format
// "json"), or judges itself and passes with exit code 0 (format
// "exit-code", as SGLang-JAX's scripts do today). Every kernel runs even
// after another failed.
package pallas

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/compare"
	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/report"
)

// Metric is the metric name kernel timings are recorded under.
const Metric = "time_ms"

// RecordCommand writes pallas baselines.
const RecordCommand = "go tool mage pallas:baseline"

// Timing is one line a kernel benchmark prints.
type Timing struct {
	Kernel string  `json:"kernel"`
	Case   string  `json:"case"`
	TimeMs float64 `json:"time_ms"`
}

// CaseName is the baseline case key of a timing: "<kernel>/<case>".
func (t Timing) CaseName() string { return t.Kernel + "/" + t.Case }

// Parse reads the timing lines of a benchmark's output. Lines that are not
// JSON objects are ignored (scripts print other things too); a JSON line
// with a "time_ms" key but a bad shape is an error naming its line.
func Parse(out []byte) ([]Timing, error) {
	var ts []Timing
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' || !bytes.Contains(line, []byte(`"time_ms"`)) {
			continue
		}
		var raw struct {
			Kernel *string  `json:"kernel"`
			Case   *string  `json:"case"`
			TimeMs *float64 `json:"time_ms"`
		}
		if err := json.Unmarshal(line, &raw); err != nil {
			return ts, fmt.Errorf("output line %d: %v: want {\"kernel\": str, \"case\": str, \"time_ms\": number}", n, err)
		}
		switch {
		case raw.Kernel == nil || *raw.Kernel == "" || raw.Case == nil || *raw.Case == "":
			return ts, fmt.Errorf("output line %d: kernel and case must be non-empty strings", n)
		case raw.TimeMs == nil || !(*raw.TimeMs > 0) || math.IsInf(*raw.TimeMs, 0):
			return ts, fmt.Errorf("output line %d: time_ms of %s/%s must be a positive number (a failed measurement is not a pass)", n, *raw.Kernel, *raw.Case)
		}
		ts = append(ts, Timing{Kernel: *raw.Kernel, Case: *raw.Case, TimeMs: *raw.TimeMs})
	}
	return ts, sc.Err()
}

// Extra is what a kernel case adds to the results JSON.
type Extra struct {
	Device  string        `json:"device"`
	Kernel  string        `json:"kernel"`
	Case    string        `json:"case,omitempty"`
	TimeMs  float64       `json:"time_ms,omitempty"`
	Verdict *gate.Verdict `json:"verdict,omitempty"`
	Compare *compare.Row  `json:"compare,omitempty"` // same-host A/B result
}

// Runner runs kernel benchmarks.
type Runner struct {
	Repo      string
	Python    string
	Env       []string // added to the inherited environment
	LogDir    string
	Device    string
	Baselines *gate.File // nil: measure without judging
	Log       io.Writer
	// Hook, when set, counts each benchmark's JAX compiles (case = kernel
	// name); a kernel that compiled after its warm-up fails.
	Hook *compiles.Hook
}

// Outcome is what a Runner found.
type Outcome struct {
	Timings  []Timing
	Cases    []report.Case
	Verdicts []gate.Verdict
	Failures []string
	// Compiles are each kernel's compile accounting, by kernel name.
	Compiles map[string]compiles.Summary
}

// Run runs every kernel in order, each even after failures, until ctx ends.
func (r *Runner) Run(ctx context.Context, kernels []config.Kernel) Outcome {
	if r.Log == nil {
		r.Log = io.Discard
	}
	var out Outcome
	for _, k := range kernels {
		if ctx.Err() != nil {
			break
		}
		r.runKernel(ctx, k, &out)
	}
	return out
}

func (r *Runner) runKernel(ctx context.Context, k config.Kernel, out *Outcome) {
	kr := r.execKernel(ctx, k)
	start := len(out.Cases)
	defer func() { attachCompiles(k.Name, kr.compiles, out, start) }()
	base := report.Case{Class: "pallas." + k.Name, File: k.File, Log: kr.log}
	failKernel := func(msg string) {
		c := base
		c.Name, c.Status, c.Message, c.Output, c.Duration = k.Name, report.Failed, msg, kr.tail, kr.o.Duration
		c.Extra = &Extra{Device: r.Device, Kernel: k.Name}
		out.Cases = append(out.Cases, c)
		out.Failures = append(out.Failures, "kernel "+k.Name+": "+msg)
		fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    FAIL %s: %s", k.Name, msg)))
	}
	switch {
	case ctx.Err() != nil:
		failKernel("interrupted")
		return
	case k.Format == config.KernelExitCode && kr.exitMsg != "":
		failKernel(kr.exitMsg)
		return
	case k.Format == config.KernelExitCode && kr.late != "":
		failKernel(kr.late)
		return
	case k.Format == config.KernelExitCode:
		c := base
		c.Name, c.Status, c.Duration = k.Name, report.Passed, kr.o.Duration
		c.Extra = &Extra{Device: r.Device, Kernel: k.Name}
		out.Cases = append(out.Cases, c)
		fmt.Fprintf(r.Log, "    pass %s (%s)\n", k.Name, report.Round(kr.o.Duration))
		return
	}
	timings, perr := Parse(kr.stdout)
	failed, skippedDevice := r.judgeTimings(k, timings, kr.o.Duration, base, out, failKernel)
	switch {
	case perr != nil:
		failKernel(perr.Error())
	case kr.exitMsg != "":
		failKernel(kr.exitMsg)
	case len(timings) == 0:
		failKernel(`printed no timing lines: a "json" kernel prints {"kernel","case","time_ms"} per case (or set format = "exit-code") (log ` + kr.log + ")")
	case kr.late != "":
		failKernel(kr.late)
	default:
		status := "pass"
		if failed {
			status = "FAIL"
		} else if skippedDevice == len(timings) {
			status = "measured (no baseline for this device)"
		}
		fmt.Fprintf(r.Log, "    %s %s: %d cases (%s)\n", status, k.Name, len(timings), report.Round(kr.o.Duration))
	}
}

// kernelRun is one kernel script's run: its outcome, stdout and log.
type kernelRun struct {
	o       proc.Outcome
	stdout  []byte
	log     string // the log file: the command, stdout and stderr
	tail    string // the log's last lines
	exitMsg string // how it failed to exit 0, "" when it did
	// compiles is its compile accounting (nil without a hook); late the
	// failure of compiles after warm-up, "" when there were none.
	compiles *compiles.Summary
	late     string
}

// attachCompiles puts a kernel's compile accounting on one of the cases
// it added from start (its own failure case, else its first), so that
// sums count each run once, and keeps it by kernel.
func attachCompiles(kernel string, s *compiles.Summary, out *Outcome, start int) {
	if s == nil || start >= len(out.Cases) {
		return
	}
	if out.Compiles == nil {
		out.Compiles = map[string]compiles.Summary{}
	}
	out.Compiles[kernel] = *s
	at := start
	for i := start; i < len(out.Cases); i++ {
		if out.Cases[i].Name == kernel {
			at = i
		}
	}
	out.Cases[at].Compiles = s
}

// execKernel runs a kernel script under its timeout and keeps its log.
func (r *Runner) execKernel(ctx context.Context, k config.Kernel) kernelRun {
	logPath := filepath.Join(r.LogDir, k.Name+".log")
	// "--": a script name from the config is never read as an option.
	argv := append([]string{r.Python, "--", k.File}, k.Args...)
	// The interpreter is in the session's header; the script is what tells kernels apart.
	fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    kernel %s: %s", k.Name, proc.Quote(argv[2:]))))
	var stdout, stderr bytes.Buffer
	timeout := k.Timeout.Duration
	if timeout <= 0 {
		timeout = config.DefaultKernelTimeout
	}
	env := r.Env
	var compileDir string
	if r.Hook != nil {
		compileDir = r.Hook.CaseDir(k.Name)
		_ = os.RemoveAll(compileDir) // each run (a comparison's round) counts its own
		env = append(slices.Clip(env), r.Hook.Env(k.Name, env)...)
	}
	o, runErr := proc.Run(ctx, proc.Cmd{Argv: argv, Dir: r.Repo, Env: env, Timeout: timeout, Stdout: &stdout, Stderr: &stderr})
	var logBuf bytes.Buffer
	fmt.Fprintf(&logBuf, "$ %s\n", proc.Quote(argv))
	logBuf.Write(stdout.Bytes())
	if stderr.Len() > 0 {
		logBuf.WriteString("--- stderr ---\n")
		logBuf.Write(stderr.Bytes())
	}
	_ = report.WriteFile(logPath, logBuf.Bytes())
	kr := kernelRun{o: o, stdout: stdout.Bytes(), log: logPath, tail: tailLines(logBuf.String(), 30)}
	if runErr != nil {
		kr.exitMsg = exitMessage(o, timeout) + " (log " + logPath + ")"
	}
	if compileDir != "" {
		got, err := compiles.Collect(compileDir)
		if err != nil {
			fmt.Fprintln(r.Log, report.Fit(fmt.Sprintf("    warning: %s: %v", k.Name, err)))
			return kr
		}
		s := got[k.Name]
		kr.compiles = &s
		if err := s.CheckWarm(); err != nil {
			kr.late = err.Error() + " (log " + logPath + ")"
		}
	}
	return kr
}

// judgeTimings records each timing as a case and, with baselines, judges
// it; it reports whether any failed and how many had only other devices'
// baselines.
func (r *Runner) judgeTimings(k config.Kernel, timings []Timing, took time.Duration, base report.Case, out *Outcome, failKernel func(string)) (failed bool, skippedDevice int) {
	judge := gate.Judge{File: r.Baselines, Device: r.Device, Record: RecordCommand}
	per := took / time.Duration(max(len(timings), 1))
	for _, t := range timings {
		if t.Kernel != k.Name {
			failKernel(fmt.Sprintf("printed a timing for kernel %q; expected %q (the [[pallas.kernel]] name must match the script's)", t.Kernel, k.Name))
			continue
		}
		out.Timings = append(out.Timings, t)
		c := base
		c.Name, c.Duration, c.Status = t.CaseName(), per, report.Passed
		ex := &Extra{Device: r.Device, Kernel: k.Name, Case: t.Case, TimeMs: t.TimeMs}
		c.Extra = ex
		if r.Baselines == nil { // measuring only (a comparison judges later)
			out.Cases = append(out.Cases, c)
			continue
		}
		v := judge.Check(t.CaseName(), Metric, t.TimeMs, k.Tolerance)
		ex.Verdict = &v
		switch {
		case v.OtherDevice:
			c.Status, c.Message = report.Skipped, v.Message
			skippedDevice++
		case !v.Pass:
			failed = true
			c.Status, c.Message = report.Failed, v.Message
			out.Failures = append(out.Failures, t.CaseName()+": "+v.Message)
		}
		out.Cases = append(out.Cases, c)
		out.Verdicts = append(out.Verdicts, v)
	}
	return failed, skippedDevice
}

// exitMessage says how a kernel benchmark ended, with the setting that
// bounds it when it timed out.
func exitMessage(o proc.Outcome, timeout time.Duration) string {
	if o.TimedOut {
		return fmt.Sprintf("%s (the limit is %s: set [[pallas.kernel]] timeout)", o.Describe(), timeout)
	}
	return o.Describe()
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Plan picks the kernels of one partition ("ID/COUNT", balanced on
// minutes; empty: all), in config order.
func Plan(kernels []config.Kernel, only []string, part partition.Spec) ([]config.Kernel, []config.Kernel, error) {
	var run []config.Kernel
	for _, name := range only {
		if !slices.ContainsFunc(kernels, func(k config.Kernel) bool { return k.Name == name }) {
			return nil, nil, fmt.Errorf("pallas: unknown kernel %q in TPUCI_KERNELS", name)
		}
	}
	for _, k := range kernels {
		if len(only) == 0 || slices.Contains(only, k.Name) {
			run = append(run, k)
		}
	}
	mine, skipped, err := partition.Cases[config.Kernel]{Unit: "kernels",
		Weight: func(k config.Kernel) float64 { return k.Minutes }}.Split(part, run)
	if err != nil {
		return nil, nil, fmt.Errorf("pallas: %w", err)
	}
	return mine, skipped, nil
}

// Device is the baseline key of this host's kernel timings: [pallas].device,
// else the host's fingerprint for one chip (TPU generation and chip
// count; CPU model and core count without TPUs).
func Device(c *config.Config, host chips.Info) string {
	if c.Pallas.Device != "" {
		return c.Pallas.Device
	}
	if !host.CPU && host.Kind == "" {
		host.CPU = true
	}
	return host.Fingerprint(1)
}
