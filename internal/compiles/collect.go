package compiles

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Compile is one backend compilation (or persistent-cache load) JAX ran.
type Compile struct {
	Fn      string    `json:"fn"`
	Shapes  string    `json:"shapes,omitempty"`
	At      time.Time `json:"at"`
	Seconds float64   `json:"seconds"`
	Cache   string    `json:"cache,omitempty"` // hit, miss_written, miss_unwritten, off
	PID     int       `json:"pid"`
}

// String names the compile as a failure message does: function and shapes.
func (c Compile) String() string {
	if c.Shapes == "" {
		return c.Fn
	}
	return c.Fn + " " + c.Shapes
}

// Summary is what the processes of one case compiled.
type Summary struct {
	Compiles       int     `json:"compiles"`
	CompileSeconds float64 `json:"compile_seconds"`
	TraceSeconds   float64 `json:"trace_seconds,omitempty"`
	LowerSeconds   float64 `json:"lower_seconds,omitempty"`
	CacheHits      int     `json:"cache_hits"`
	// CacheMisses are compiles that asked the persistent cache and missed;
	// CacheWrites those of them JAX then wrote (long enough to be kept).
	CacheMisses int `json:"cache_misses"`
	CacheWrites int `json:"cache_writes,omitempty"`
	// CacheOff are compiles of processes without a persistent cache (no
	// directory): they are neither hits nor misses.
	CacheOff  int `json:"cache_off,omitempty"`
	Processes int `json:"processes"`
	// WarmedUp is when warm-up ended (the first warmup_end or
	// measure_start mark); zero when no process marked it.
	WarmedUp    time.Time `json:"warmed_up,omitzero"`
	AfterWarmup []Compile `json:"after_warmup,omitempty"`
}

// event is one line the hook writes.
type event struct {
	Kind   string  `json:"kind"`
	Case   string  `json:"case"`
	PID    int     `json:"pid"`
	TS     float64 `json:"ts"`
	Fn     string  `json:"fn"`
	Start  float64 `json:"start"`
	Dur    float64 `json:"dur"`
	Cache  string  `json:"cache"`
	Shapes string  `json:"shapes"`
	Mark   string  `json:"mark"`
}

// Collect reads every event file under dir (a case directory or the
// events root) and sums them per case. A missing dir is no events. A
// line that does not parse, such as the torn last line of a killed
// process, is skipped.
func Collect(dir string) (map[string]Summary, error) {
	events, err := read(dir)
	if err != nil {
		return nil, err
	}
	return summarize(events), nil
}

// Between is Collect of the events that started in [from, to) (marks
// are kept): what a long-lived server compiled during one case.
func Between(dir string, from, to time.Time) (map[string]Summary, error) {
	events, err := read(dir)
	if err != nil {
		return nil, err
	}
	lo, hi := float64(from.UnixNano())/1e9, float64(to.UnixNano())/1e9
	kept := events[:0]
	for _, e := range events {
		if e.Kind == "mark" || (e.Start >= lo && e.Start < hi) {
			kept = append(kept, e)
		}
	}
	return summarize(kept), nil
}

// read parses every event file under dir; a missing dir is no events.
func read(dir string) ([]event, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && filepath.Ext(p) == ".jsonl" {
			files = append(files, p)
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("compiles: read %s: %w", dir, err)
	}
	var events []event
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("compiles: read %s: %w", f, err)
		}
		events = append(events, parse(data)...)
	}
	return events, nil
}

func parse(data []byte) []event {
	var out []event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Kind != "" {
			out = append(out, e)
		}
	}
	return out
}

// summarize sums events per case: compiles after the case's first
// warm-up mark are listed by name.
func summarize(events []event) map[string]Summary {
	warm := map[string]float64{}
	for _, e := range events {
		if e.Kind == "mark" && (e.Mark == "warmup_end" || e.Mark == "measure_start") {
			if w, ok := warm[e.Case]; !ok || e.TS < w {
				warm[e.Case] = e.TS
			}
		}
	}
	out := map[string]Summary{}
	pids := map[string]map[int]bool{}
	for _, e := range events {
		s := out[e.Case]
		if pids[e.Case] == nil {
			pids[e.Case] = map[int]bool{}
		}
		if e.Kind != "mark" { // marks may come from tpuci itself
			pids[e.Case][e.PID] = true
		}
		switch e.Kind {
		case "trace":
			s.TraceSeconds += e.Dur
		case "lower":
			s.LowerSeconds += e.Dur
		case "compile":
			s.Compiles++
			s.CompileSeconds += e.Dur
			switch e.Cache {
			case "hit":
				s.CacheHits++
			case "miss_written":
				s.CacheMisses++
				s.CacheWrites++
			case "miss_unwritten":
				s.CacheMisses++
			case "off":
				s.CacheOff++
			}
			if w, ok := warm[e.Case]; ok && e.Start > w {
				s.AfterWarmup = append(s.AfterWarmup, Compile{Fn: e.Fn, Shapes: e.Shapes, At: unix(e.Start),
					Seconds: e.Dur, Cache: e.Cache, PID: e.PID})
			}
		}
		if w, ok := warm[e.Case]; ok {
			s.WarmedUp = unix(w)
		}
		s.Processes = len(pids[e.Case])
		out[e.Case] = s
	}
	for k, s := range out {
		slices.SortFunc(s.AfterWarmup, func(a, b Compile) int { return a.At.Compare(b.At) })
		out[k] = s
	}
	return out
}

func unix(secs float64) time.Time {
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

// Mark appends a mark (warmup_end, measure_start, measure_end) for case
// name to dir, at, for tpuci's own Go clients that drive a server.
func Mark(dir, name, mark string, at time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("compiles: mark: %w", err)
	}
	line, err := json.Marshal(map[string]any{"v": 1, "kind": "mark", "mark": mark, "case": name, "pid": os.Getpid(),
		"ts": float64(at.UnixNano()) / 1e9})
	if err != nil {
		return fmt.Errorf("compiles: mark: %w", err)
	}
	path := filepath.Join(dir, "go-"+strconv.Itoa(os.Getpid())+".jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("compiles: mark: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("compiles: mark: %w", err)
	}
	return nil
}

// CheckWarm fails a case that compiled after warm-up (SGLang-JAX's cache
// miss), naming each function and its shapes; nil when none did. Repeats
// of one function and shapes (a recompile on every call) are counted, not
// listed, and only the first few distinct ones are named.
func (s Summary) CheckWarm() error {
	if len(s.AfterWarmup) == 0 {
		return nil
	}
	const shown = 4
	var names []string
	count := map[string]int{}
	for _, c := range s.AfterWarmup {
		if count[c.String()]++; count[c.String()] == 1 {
			names = append(names, c.String())
		}
	}
	parts := make([]string, 0, shown+1)
	for i, n := range names {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-shown))
			break
		}
		if count[n] > 1 {
			n = fmt.Sprintf("%d× %s", count[n], n)
		}
		parts = append(parts, n)
	}
	return fmt.Errorf("compiled %d time(s) after warm-up: %s", len(s.AfterWarmup), strings.Join(parts, "; "))
}
