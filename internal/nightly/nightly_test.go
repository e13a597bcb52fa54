package nightly

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sgl-project/tpuci/internal/datastore/gitstore"
	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/nightly/htmlreport/headless"
	"github.com/sgl-project/tpuci/internal/notify"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/release/guard"
	"github.com/sgl-project/tpuci/internal/report"
)

// These tests run the nightly target's body through the pipeline against
// real simulator processes (the server manager builds tpuci-simserver
// once per process) on the bundled example.

type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fixture struct {
	t    *testing.T
	root string
	env  map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the simulator")
	}
	root, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, root: root, env: map[string]string{
		"TPUCI_REPO": root, "TPUCI_OUT": filepath.Join(t.TempDir(), "out"), "TPUCI_OFFLINE": "1",
		"TPUCI_EVAL_CACHE": t.TempDir(), "TPUCI_NIGHTLY_HISTORY": filepath.Join(t.TempDir(), "history"),
	}}
}

// edit rewrites the example's tpuci.toml.
func (f *fixture) edit(fn func(string) string) {
	p := filepath.Join(f.root, "tpuci.toml")
	data, err := os.ReadFile(p)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(fn(string(data))), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// run runs the nightly body with extra environment; it returns the stage
// record, the log and the body's error.
func (f *fixture) run(extra map[string]string) (report.TargetResult, string, error) {
	f.t.Helper()
	env := map[string]string{}
	for k, v := range f.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	log := &syncBuf{}
	s, err := pipeline.NewSession(func(k string) string { return env[k] }, f.root, log, log)
	if err != nil {
		f.t.Fatal(err)
	}
	runErr := s.Run(context.Background(), "nightly", Body)
	var st report.TargetResult
	data, err := os.ReadFile(filepath.Join(env["TPUCI_OUT"], "nightly.json"))
	if err != nil {
		f.t.Fatalf("no stage record: %v\n%s", err, log)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		f.t.Fatal(err)
	}
	return st, log.String(), runErr
}

func (f *fixture) out(parts ...string) string {
	return filepath.Join(append([]string{f.env["TPUCI_OUT"], "nightly"}, parts...)...)
}

// smallMatrix keeps one concurrency and one input length per kind.
func smallMatrix(s string) string {
	s = strings.Replace(s, "concurrencies = [4, 16]", "concurrencies = [4]", 1)
	s = strings.Replace(s, "ttft_input_lens = [256, 1024]", "ttft_input_lens = [256]", 1)
	return strings.Replace(s, `trace_point = "c16-i256-o32"`, `trace_point = "c4-i256-o32"`, 1)
}

// regressedRe matches a flagged slowdown: latencies up, throughputs down.
var regressedRe = regexp.MustCompile(`regressed: (median_ttft_ms|median_itl_ms) \+|regressed: (input_throughput|output_throughput) -`)

func slowdown(s string) string {
	return strings.Replace(s, `args = ["--random-seed", "3", "--max-running-requests", "64", "--sim-eval-data", "eval_data", "--sim-accuracy", "0.80"`,
		`args = ["--random-seed", "3", "--max-running-requests", "64", "--sim-slowdown", "2", "--sim-eval-data", "eval_data", "--sim-accuracy", "0.80"`, 1)
}

func bareRepo(t *testing.T) string {
	t.Helper()
	needs.Tool(t, "git")
	dir := filepath.Join(t.TempDir(), "ci-data.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	return dir
}

// Seven simulated nights recorded in a shared git data repository: a 2x
// slowdown of the 8B model's server from night 6 on (--sim-slowdown 2: large enough for any host speed)
// is flagged on night 6 with each metric's change, one night affected and
// the commit range, again on night 7 with two nights; nights 1-5 and the
// evaluation stay clean. Every night's records are in the repository.
func TestSimulatedNightsFlagSlowdown(t *testing.T) {
	f := newFixture(t)
	data := bareRepo(t)
	f.env["TPUCI_NIGHTLY_GIT"] = data
	f.env["TPUCI_CASES"] = "perf/qwen3-8b-tp1/c4-i256-o1,perf/qwen3-8b-tp1/c16-i256-o32,accuracy/qwen3-8b-tp1/gsm8k"
	// Traces are published to the data repository and linked to Perfetto.
	f.edit(func(s string) string {
		return s + "\n[nightly.git]\ntrace_url = \"https://data.example.invalid/raw/main\"\n"
	})
	lastRegressions := 0
	for night := 1; night <= 7; night++ {
		if night == 6 {
			f.edit(slowdown)
		}
		date := "2026-01-0" + string(rune('0'+night))
		st, log, err := f.run(map[string]string{"TPUCI_NIGHTLY_DATE": date})
		fails := strings.Join(st.Failures, "\n")
		if night < 6 {
			if err != nil || st.Status != report.Passed {
				t.Fatalf("night %d: %v %s\n%s\n%s", night, err, st.Status, fails, log)
			}
			continue
		}
		if err == nil || st.Status != report.Failed {
			t.Fatalf("night %d: want a failed stage: %v %s\n%s", night, err, st.Status, log)
		}
		nights := map[int]string{6: "for 1 night(s) since 2026-01-06", 7: "for 2 night(s) since 2026-01-06"}[night]
		// Each slowed case is flagged on at least one metric (a busy host
		// makes the history noisy enough to hide one of a pair), and
		// nothing else is.
		for _, want := range []string{"perf/qwen3-8b-tp1/c4-i256-o1: regressed: ", "perf/qwen3-8b-tp1/c16-i256-o32: regressed: ", nights} {
			if !strings.Contains(fails, want) {
				t.Errorf("night %d: failures lack %q:\n%s", night, want, fails)
			}
		}
		lastRegressions = len(st.Failures)
		for _, f := range st.Failures {
			if !strings.HasPrefix(f, "perf/qwen3-8b-tp1/") || !regressedRe.MatchString(f) {
				t.Errorf("night %d: unexpected failure %q", night, f)
			}
		}
		for _, c := range st.Cases {
			if c.Name == "accuracy/qwen3-8b-tp1/gsm8k" && c.Status != report.Passed {
				t.Errorf("evaluation %s: %s", c.Status, c.Message)
			}
		}
	}

	// Every record reached the data repository.
	reader := &gitstore.Repo{URL: data, Dir: filepath.Join(t.TempDir(), "reader")}
	if err := reader.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, warns, err := history.Dir{Root: filepath.Join(reader.Dir, "nightly")}.Load(0, "")
	if err != nil || len(warns) > 0 || len(recs) != 21 {
		t.Fatalf("%d records in the data repository (want 21): %v %v", len(recs), err, warns)
	}
	published := 0
	for _, r := range recs {
		if r.SchemaVersion != 1 || r.Commit == "" || r.Device != "sim" || r.Profile.Name != "sim-qwen3-8b-nightly" ||
			r.Versions.Tpuci == "" || r.Versions.Package == "" || r.RecordedAt == "" {
			t.Errorf("record lacks provenance: %+v", r)
		}
		if r.Trace != "" {
			published++
			prefix := "https://data.example.invalid/raw/main/nightly/traces/" + r.Night + "/qwen3-8b-tp1/"
			rel := strings.TrimPrefix(r.Trace, "https://data.example.invalid/raw/main/")
			if !strings.HasPrefix(r.Trace, prefix) || r.Case != "perf/qwen3-8b-tp1/c16-i256-o32" {
				t.Errorf("%s: trace %q", r.Case, r.Trace)
			} else if _, err := os.Stat(filepath.Join(reader.Dir, rel)); err != nil {
				t.Errorf("trace not in the data repository: %v", err)
			}
		}
	}
	if published != 7 {
		t.Errorf("%d published traces, want one per night", published)
	}

	// The trace of the representative point is kept and linked.
	traces, _ := filepath.Glob(f.out("traces", "qwen3-8b-tp1", "*.json"))
	if len(traces) != 1 {
		t.Fatalf("traces %v", traces)
	}
	var trace struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	if data, _ := os.ReadFile(traces[0]); json.Unmarshal(data, &trace) != nil || len(trace.TraceEvents) < 3 {
		t.Errorf("trace %s is not a Chrome trace with steps", traces[0])
	}
	page, err := os.ReadFile(f.out("report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "https://ui.perfetto.dev/#!/?url=https%3A%2F%2Fdata.example.invalid%2Fraw%2Fmain%2Fnightly%2Ftraces%2F2026-01-07") {
		t.Error("report does not link the published trace to Perfetto")
	}
	if _, err := headless.Binary(); err != nil {
		needs.Missing(t, err)
	}
	res, err := headless.Load(context.Background(), f.out("report.html"))
	if err != nil {
		t.Fatal(err)
	}
	// A plot per regression of the last night and the model's 5 metric plots.
	if n := len(svgRe.FindAllString(res.DOM, -1)); n != 5+lastRegressions || len(res.Errors) > 0 {
		t.Errorf("rendered %d plots (want %d), console errors %q", n, 5+lastRegressions, res.Errors)
	}
}

// The status record appears only after a complete scheduled night: not
// for an unscheduled run, not while part of the matrix is missing, and
// then, once the rest ran, healthy and accepted by the release gate.
func TestStatusOnlyForCompleteScheduledNights(t *testing.T) {
	f := newFixture(t)
	f.edit(smallMatrix)
	statusFile := f.out(history.StatusFile)
	storeStatus := filepath.Join(f.env["TPUCI_NIGHTLY_HISTORY"], history.StatusFile)

	st, log, err := f.run(map[string]string{"TPUCI_NIGHTLY_DATE": "2026-02-01"})
	if err != nil || st.Status != report.Passed || len(st.Cases) != 7 {
		t.Fatalf("%v %s %d cases\n%s", err, st.Status, len(st.Cases), log)
	}
	if _, err := os.Stat(statusFile); err == nil || !strings.Contains(log, "not a scheduled run") {
		t.Fatal("status written for an unscheduled run")
	}

	sched := map[string]string{"TPUCI_NIGHTLY_DATE": "2026-02-02", "TPUCI_NIGHTLY_SCHEDULED": "1", "TPUCI_CASES": "perf/**"}
	if _, log, err = f.run(sched); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(statusFile); err == nil || !strings.Contains(log, "4 of 7 matrix cases have run tonight") {
		t.Fatalf("status written for an incomplete night:\n%s", log)
	}

	// The night before was red and the channel heard it: the complete
	// healthy night tells the webhook that the nightly is green again.
	var posts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posts = append(posts, string(b))
	}))
	defer hook.Close()
	red := notify.State{Stream: Stream, State: notify.Red, Posted: notify.Red, Commit: strings.Repeat("b", 40),
		RedSince: strings.Repeat("b", 40), RedRuns: 1, RedCommits: 1}
	if err := report.WriteJSON(filepath.Join(f.env["TPUCI_NIGHTLY_HISTORY"], notify.Subdir, Stream+".json"), red); err != nil {
		t.Fatal(err)
	}
	sched["TPUCI_CASES"] = "accuracy/**"
	sched["TPUCI_NOTIFY_WEBHOOK"] = hook.URL + "/services/s3cr3t"
	if _, log, err = f.run(sched); err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 || !strings.Contains(posts[0], "is green again") || !strings.Contains(posts[0], "ends a red streak of 1 run") ||
		strings.Contains(log, "s3cr3t") {
		t.Errorf("webhook posts %q\n%s", posts, log)
	}
	for _, p := range []string{statusFile, storeStatus} {
		s, err := history.ReadStatus(p)
		if err != nil || s == nil {
			t.Fatalf("no status at %s: %v\n%s", p, err, log)
		}
		if s.Status != history.Healthy || s.Night != "2026-02-02" || s.Coverage.Ran != 7 || s.Coverage.Cases != 7 || s.LatestSuccess == nil {
			t.Errorf("status %+v", s)
		}
	}
	res, err := guard.CheckNightly(context.Background(), guard.GateOptions{Source: statusFile})
	if err != nil || !res.Allows() {
		t.Errorf("release gate refuses the status: %+v %v", res, err)
	}
}

// A server that crashes while measuring fails its cases but loses no
// other result, and one that never starts fails its cases as not run.
func TestFailedCasesKeepTheOthers(t *testing.T) {
	f := newFixture(t)
	f.edit(smallMatrix)
	f.edit(func(s string) string {
		return strings.Replace(s, `"--sim-prefill-ms-per-1k-tokens", "20"`, `"--sim-crash-after", "4", "--sim-prefill-ms-per-1k-tokens", "20"`, 1)
	})
	f.env["TPUCI_CASES"] = "perf/**"
	st, log, err := f.run(map[string]string{"TPUCI_NIGHTLY_DATE": "2026-03-01"})
	if err == nil || st.Status != report.Failed {
		t.Fatalf("%v %s\n%s", err, st.Status, log)
	}
	recs, _, _ := history.Dir{Root: f.env["TPUCI_NIGHTLY_HISTORY"]}.Night("2026-03-01")
	status := map[string]string{}
	for _, r := range recs {
		status[r.Case] = r.Status
	}
	want := map[string]string{
		"perf/qwen3-8b-tp1/c4-i256-o1": history.OK, "perf/qwen3-8b-tp1/c4-i256-o32": history.OK,
		"perf/qwen3-30b-a3b-tp4-ep4/c4-i256-o1": history.Failed, "perf/qwen3-30b-a3b-tp4-ep4/c4-i256-o32": history.Failed,
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)\n%s", k, status[k], v, status, log)
		}
	}

	f.edit(func(s string) string { return strings.Replace(s, `"--sim-crash-after", "4"`, `"--sim-never-ready"`, 1) })
	f.edit(func(s string) string {
		i := strings.Index(s, `name = "sim-qwen3-30b-a3b-nightly"`)
		return s[:i] + strings.Replace(s[i:], `ready_timeout = "60s"`, `ready_timeout = "2s"`, 1)
	})
	st, log, err = f.run(map[string]string{"TPUCI_NIGHTLY_DATE": "2026-03-02"})
	if err == nil || st.Status != report.Failed {
		t.Fatalf("%v %s\n%s", err, st.Status, log)
	}
	recs, _, _ = history.Dir{Root: f.env["TPUCI_NIGHTLY_HISTORY"]}.Night("2026-03-02")
	var errs []string
	ok := 0
	for _, r := range recs {
		switch r.Status {
		case history.Error:
			errs = append(errs, r.Error)
		case history.OK:
			ok++
		}
	}
	if ok != 2 || len(errs) != 2 || !strings.Contains(errs[1], "not run:") {
		t.Errorf("ok %d, errors %q\n%s", ok, errs, log)
	}
}

// Two CI jobs run their partitions of one scheduled night at the same
// time and push to one data repository: both succeed, no record is lost,
// and the job that completes the matrix writes the status record.
func TestPartitionsShareOneNight(t *testing.T) {
	f := newFixture(t)
	f.edit(smallMatrix)
	data := bareRepo(t)
	type result struct {
		st  report.TargetResult
		log string
		err error
		out string
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for part := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := filepath.Join(t.TempDir(), "out")
			st, log, err := f.run(map[string]string{"TPUCI_NIGHTLY_DATE": "2026-04-01", "TPUCI_NIGHTLY_SCHEDULED": "1",
				"TPUCI_NIGHTLY_GIT": data, "TPUCI_PARTITION": []string{"0/2", "1/2"}[part], "TPUCI_OUT": out,
				"TPUCI_NIGHTLY_HISTORY": filepath.Join(t.TempDir(), "history")})
			results[part] = result{st, log, err, out}
		}()
	}
	wg.Wait()
	written := 0
	total := 0
	for i, r := range results {
		if r.err != nil || r.st.Status != report.Passed {
			t.Fatalf("partition %d: %v %s\n%s", i, r.err, r.st.Status, r.log)
		}
		total += len(r.st.Cases)
		if s, _ := history.ReadStatus(filepath.Join(r.out, "nightly", history.StatusFile)); s != nil {
			written++
			if s.Status != history.Healthy || s.Coverage.Ran != 7 {
				t.Errorf("status %+v", s)
			}
		}
	}
	if total != 7 || written == 0 {
		t.Errorf("%d cases over both jobs (want 7), %d status records", total, written)
	}
	reader := &gitstore.Repo{URL: data, Dir: filepath.Join(t.TempDir(), "reader")}
	if err := reader.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	store := history.Dir{Root: filepath.Join(reader.Dir, "nightly")}
	recs, _, err := store.Night("2026-04-01")
	if err != nil || len(recs) != 7 {
		t.Fatalf("%d records in the data repository, want 7 (%v)", len(recs), err)
	}
	if s, err := store.Status(); err != nil || s == nil || s.Status != history.Healthy {
		t.Errorf("data repository status: %+v %v", s, err)
	}
}
