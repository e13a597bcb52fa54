// Package report holds stage results and writes them as JSON, JUnit XML
// and Markdown.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sgl-project/tpuci/internal/compiles"
)

// Status of a stage or case.
type Status string

// Statuses, in order of precedence when combined.
const (
	Passed  Status = "passed"
	Skipped Status = "skipped"
	Failed  Status = "failed"
	Errored Status = "error" // the stage could not run (infrastructure, bad input)
)

// Case is one test file, test case, benchmark metric or kernel.
type Case struct {
	Name     string        `json:"name"`
	Class    string        `json:"class,omitempty"` // JUnit classname (suite or file)
	File     string        `json:"file,omitempty"`
	Line     int           `json:"line,omitempty"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	Message  string        `json:"message,omitempty"`
	Output   string        `json:"output,omitempty"` // tail of the log on failure
	Log      string        `json:"log,omitempty"`
	Reruns   int           `json:"reruns,omitempty"`
	Attempts []Attempt     `json:"attempts,omitempty"` // earlier attempts that failed, when rerun
	// CarriedOver names where an earlier attempt's result of the case is
	// kept ($TPUCI_OUT/attempts/<n>) when a rerun of what failed did not
	// run it again: it is that attempt's result, not this run's.
	CarriedOver string `json:"carried_over,omitempty"`
	Extra       any    `json:"extra,omitempty"`
	// Compiles are JAX's compiles in the processes of the case's whole
	// test file run, kept on one case per file (the file's own case when
	// there is one, else its first), so that sums count each file once.
	Compiles *compiles.Summary `json:"compiles,omitempty"`
}

// Attempt is one earlier run of a case that was rerun, with its own log.
type Attempt struct {
	Status   Status        `json:"status"` // failed or error
	Message  string        `json:"message"`
	Output   string        `json:"output,omitempty"`
	Log      string        `json:"log,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Class and Rule say why it was retried: infra and the rule its log
	// matched, flaky and the test known to flake; empty for an earlier
	// run's attempt rerun by hand (go tool mage rerun).
	Class string `json:"class,omitempty"`
	Rule  string `json:"rule,omitempty"`
}

// Flaky reports a case that passed only after failed attempts.
func (c *Case) Flaky() bool { return c.Status == Passed && len(c.Attempts) > 0 }

// TargetResult is the record of one target's run.
type TargetResult struct {
	Target    string        `json:"target"`
	Status    Status        `json:"status"`
	Reason    string        `json:"reason,omitempty"` // why skipped or errored
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"duration_ns"`
	Commit    string        `json:"commit,omitempty"`
	Config    string        `json:"config_hash,omitempty"`
	Inputs    string        `json:"inputs_hash,omitempty"` // interpreter, chips and result-changing variables
	Partition string        `json:"partition,omitempty"`
	Only      string        `json:"only,omitempty"` // TPUCI_ONLY: it ran only these files or tests
	LogDir    string        `json:"log_dir,omitempty"`
	Failures  []string      `json:"failures,omitempty"`
	Cases     []Case        `json:"cases,omitempty"`
	Tables    []Table       `json:"tables,omitempty"`  // verdict tables for the summary
	Partial   bool          `json:"partial,omitempty"` // interrupted before the end
}

// Table is a titled verdict table rendered into the summary.
type Table struct {
	Title  string     `json:"title"`
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

// Counts tallies cases by status.
func (s *TargetResult) Counts() (passed, failed, skipped int) {
	for _, c := range s.Cases {
		switch c.Status {
		case Passed:
			passed++
		case Failed, Errored:
			failed++
		case Skipped:
			skipped++
		}
	}
	return
}

// CompileTotals sums the compiles of the cases; false when no case has
// compile accounting.
func (s *TargetResult) CompileTotals() (compiles.Summary, bool) {
	var t compiles.Summary
	seen := false
	for _, c := range s.Cases {
		if c.Compiles == nil {
			continue
		}
		seen = true
		t.Compiles += c.Compiles.Compiles
		t.CompileSeconds += c.Compiles.CompileSeconds
		t.CacheHits += c.Compiles.CacheHits
		t.CacheMisses += c.Compiles.CacheMisses
		t.CacheOff += c.Compiles.CacheOff
		t.AfterWarmup = append(t.AfterWarmup, c.Compiles.AfterWarmup...)
	}
	return t, seen
}

// CompilesText is a compact cell: "12 (3.4s)", "-" without accounting.
func CompilesText(s *compiles.Summary) string {
	if s == nil {
		return "-"
	}
	txt := fmt.Sprintf("%d (%s)", s.Compiles, Round(time.Duration(s.CompileSeconds*float64(time.Second))))
	if n := len(s.AfterWarmup); n > 0 {
		txt += fmt.Sprintf(" %d late", n)
	}
	return txt
}

// FlakyCount counts the cases that passed only on a rerun (they are
// counted as passed too). A file's own case counts only when none of its
// test cases does: one flaky test is one flaky pass.
func (s *TargetResult) FlakyCount() int {
	inner := map[[2]string]bool{}
	for _, c := range s.Cases {
		if c.Flaky() && c.Name != c.File {
			inner[[2]string{c.Class, c.File}] = true
		}
	}
	n := 0
	for _, c := range s.Cases {
		if c.Flaky() && (c.Name != c.File || !inner[[2]string{c.Class, c.File}]) {
			n++
		}
	}
	return n
}

// RetriedCount counts the files (or cases, where a case has no file)
// retried within this run: by the suite runner, after an infrastructure
// or known-flaky failure. Cases carried over from an earlier attempt did
// not run here.
func (s *TargetResult) RetriedCount() int {
	return s.filesWith(func(c *Case) bool {
		return slices.ContainsFunc(c.Attempts, func(a Attempt) bool { return a.Class != "" }) ||
			(len(c.Attempts) == 0 && c.Reruns > 0)
	})
}

// RerunCount counts the files (or cases) run again after failing in an
// earlier attempt (go tool mage rerun, a CI re-run): their earlier
// attempts without a retry's class.
func (s *TargetResult) RerunCount() int {
	return s.filesWith(func(c *Case) bool {
		return slices.ContainsFunc(c.Attempts, func(a Attempt) bool { return a.Class == "" })
	})
}

// filesWith counts the files (or cases, where a case has no file) with
// a case that ran here and satisfies f.
func (s *TargetResult) filesWith(f func(*Case) bool) int {
	seen := map[[2]string]bool{}
	for i := range s.Cases {
		c := &s.Cases[i]
		if c.CarriedOver != "" || !f(c) {
			continue
		}
		key := c.File
		if key == "" {
			key = c.Name
		}
		seen[[2]string{c.Class, key}] = true
	}
	return len(seen)
}

// StatusText is the status as the summaries print it: "failed, partial"
// for a stage cut short, so that the word is there, not only the JSON flag.
func (s *TargetResult) StatusText() string {
	if s.Partial {
		return string(s.Status) + ", partial"
	}
	return string(s.Status)
}

// CountsText is "P passed, F failed, S skipped", with flaky passes named
// and the files retried, run again and carried over counted.
func (s *TargetResult) CountsText() string {
	p, f, sk := s.Counts()
	flaky := ""
	if n := s.FlakyCount(); n > 0 {
		flaky = fmt.Sprintf(" (%d flaky: passed on a rerun)", n)
	}
	txt := fmt.Sprintf("%d passed%s, %d failed, %d skipped", p, flaky, f, sk)
	if n := s.RetriedCount(); n > 0 {
		txt += fmt.Sprintf("; %d retried", n)
	}
	if n := s.RerunCount(); n > 0 {
		txt += fmt.Sprintf("; %d run again", n)
	}
	if n := s.CarriedCount(); n > 0 {
		txt += fmt.Sprintf("; %d carried over, not run again", n)
	}
	return txt
}

// CarriedCount counts the cases carried over from an earlier attempt.
func (s *TargetResult) CarriedCount() int {
	n := 0
	for _, c := range s.Cases {
		if c.CarriedOver != "" {
			n++
		}
	}
	return n
}

// WriteJSON writes v to path atomically (temp file and rename), so a
// reader never sees half a file even when the run is interrupted.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode %s: %w", filepath.Base(path), err)
	}
	return WriteFile(path, append(data, '\n'))
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("report: create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	return nil
}

// Number prints a measured value with precision that suits its size; every
// verdict table uses it, so one value prints the same everywhere.
func Number(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.4f", v)
}
