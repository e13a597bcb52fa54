package accuracy

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
)

// These tests run the accuracy target's body through the pipeline with
// real simulator processes started by the server manager (it builds
// tpuci-simserver with go build once per process).

// watchLog is the session's log; it can run a function once a line shows.
type watchLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	when  string
	then  func()
	fired bool
}

func (w *watchLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.then != nil && !w.fired && strings.Contains(w.buf.String(), w.when) {
		w.fired = true
		go w.then()
	}
	return len(p), nil
}

func (w *watchLog) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// stageRun extracts the example (with edit applied to its tpuci.toml)
// and runs the accuracy body; it returns the output dir and the error.
func stageRun(t *testing.T, ctx context.Context, edit func(string) string, log *watchLog) (string, error) {
	t.Helper()
	return stageRunPrepared(t, ctx, func(root string) {
		if edit != nil {
			p := filepath.Join(root, "tpuci.toml")
			os.WriteFile(p, []byte(edit(readFile(t, p))), 0o644)
		}
	}, log)
}

// stageRunPrepared is stageRun with any change to the extracted example.
func stageRunPrepared(t *testing.T, ctx context.Context, prepare func(root string), log *watchLog) (string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the simulator")
	}
	root, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	prepare(root)
	out := filepath.Join(t.TempDir(), "out")
	env := map[string]string{"TPUCI_REPO": root, "TPUCI_OUT": out, "TPUCI_OFFLINE": "1", "TPUCI_EVAL_CACHE": t.TempDir()}
	s, err := pipeline.NewSession(func(k string) string { return env[k] }, root, log, log)
	if err != nil {
		t.Fatal(err)
	}
	return out, s.Run(ctx, "accuracy", Body)
}

func stageRecord(t *testing.T, out string) report.TargetResult {
	t.Helper()
	var st report.TargetResult
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, "accuracy.json"))), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStagePassesOnTheExample(t *testing.T) {
	log := &watchLog{}
	out, err := stageRun(t, context.Background(), nil, log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	st := stageRecord(t, out)
	if st.Status != report.Passed || len(st.Cases) != 3 || len(st.Tables) != 1 || len(st.Tables[0].Rows) != 3 {
		t.Errorf("stage record: %+v", st)
	}
	junit := readFile(t, filepath.Join(out, "junit", "accuracy.xml"))
	if strings.Count(junit, "<testcase") != 3 || !strings.Contains(junit, `name="mmlu-qwen3-8b"`) || !strings.Contains(junit, `name="mmmu-qwen3-8b"`) {
		t.Errorf("junit: %s", junit)
	}
	if !strings.Contains(readFile(t, filepath.Join(out, "summary.md")), "| mmlu-qwen3-8b | Qwen/Qwen3-8B | sim | mmlu | 130 | 0.8385 ± 0.0324 | 0.8385 | 0.0200 | 0.8185 | +0.0200 | PASS |") {
		t.Errorf("summary lacks the verdict row:\n%s", readFile(t, filepath.Join(out, "summary.md")))
	}
	for _, f := range []string{"mmlu-qwen3-8b.json", "mmlu-qwen3-8b.jsonl", "gsm8k-qwen3-30b-a3b.json", "gsm8k-qwen3-30b-a3b.jsonl"} {
		if _, err := os.Stat(filepath.Join(out, "accuracy", f)); err != nil {
			t.Error(err)
		}
	}
}

func TestStageFailsBelowThresholdAndKeepsReports(t *testing.T) {
	log := &watchLog{}
	lower := func(s string) string {
		return strings.Replace(s, `"--sim-accuracy", "0.80"`, `"--sim-accuracy", "0.77"`, 1)
	}
	out, err := stageRun(t, context.Background(), lower, log)
	if err == nil || !strings.Contains(err.Error(), "mmlu-qwen3-8b: score 0.8077") {
		t.Fatalf("want the MMLU case to fail, got %v\n%s", err, log)
	}
	st := stageRecord(t, out)
	if st.Status != report.Failed || len(st.Failures) != 1 || !strings.Contains(st.Failures[0], "< threshold 0.8185") {
		t.Errorf("stage: %s %q", st.Status, st.Failures)
	}
	var res CaseResult
	json.Unmarshal([]byte(readFile(t, filepath.Join(out, "accuracy", "mmlu-qwen3-8b.json"))), &res)
	if res.Verdict.Status != Fail || res.Verdict.Margin == nil || *res.Verdict.Margin >= 0 {
		t.Errorf("result verdict %+v", res.Verdict)
	}
}

func TestStageInterruptedWritesPartialResults(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A slow simulator: each answer takes seconds, so the case is mid-way
	// when the run is cancelled shortly after the server is ready.
	slow := func(s string) string {
		return strings.Replace(s, `"--sim-accuracy", "0.80"`, `"--sim-accuracy", "0.80", "--sim-slowdown", "20"`, 1)
	}
	log := &watchLog{when: "server sim-qwen3-8b-eval: ready", then: func() { time.Sleep(300 * time.Millisecond); cancel() }}
	start := time.Now()
	out, err := stageRun(t, ctx, slow, log)
	if err == nil {
		t.Fatalf("interrupted run passed\n%s", log)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %s to stop", d)
	}
	st := stageRecord(t, out)
	if st.Status == report.Passed || len(st.Cases) != 3 {
		t.Fatalf("stage: %+v", st)
	}
	if st.Cases[0].Status != report.Errored || st.Cases[1].Status != report.Skipped || !strings.Contains(st.Cases[1].Message, "not run") {
		t.Errorf("cases: %+v / %+v", st.Cases[0], st.Cases[1])
	}
	var res CaseResult
	json.Unmarshal([]byte(readFile(t, filepath.Join(out, "accuracy", "mmlu-qwen3-8b.json"))), &res)
	if !res.Partial || res.Answered >= res.N || res.Verdict.Status != Error || !strings.Contains(res.Error, "context canceled") {
		t.Errorf("partial result: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(out, "junit", "accuracy.xml")); err != nil {
		t.Error(err)
	}
}

func TestBaselineTargetWritesReviewDiff(t *testing.T) {
	root, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	results := t.TempDir()
	r := &CaseResult{SchemaVersion: SchemaVersion, Type: "accuracy", Case: "mmlu-qwen3-8b", Model: "Qwen/Qwen3-8B", Device: "sim", Dataset: "mmlu",
		Samples: 130, N: 130, Answered: 130, Correct: 112, Score: 112.0 / 130, Stderr: 0.03, Verdict: Verdict{Status: Pass}}
	if err := WriteResult(results, r, nil); err != nil {
		t.Fatal(err)
	}
	run := func(env map[string]string) string {
		env["TPUCI_REPO"], env["TPUCI_OUT"] = root, t.TempDir()
		var out bytes.Buffer
		s, err := pipeline.NewSession(func(k string) string { return env[k] }, root, &out, &out)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), "accuracy:baseline", BaselineBody(results)); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		return out.String()
	}
	path := filepath.Join(root, "tpuci", "baselines", "accuracy.toml")
	before := readFile(t, path)
	out := run(map[string]string{"TPUCI_DRY_RUN": "1"})
	if !strings.Contains(out, "Qwen/Qwen3-8B on sim, mmlu n=130: 0.8385 -> 0.8615 (+0.0230, case mmlu-qwen3-8b)") || readFile(t, path) != before {
		t.Fatalf("dry run:\n%s", out)
	}
	out = run(map[string]string{})
	after := readFile(t, path)
	if !strings.Contains(out, "wrote "+path) || !strings.Contains(after, "score = 0.8615") || !strings.Contains(after, `dataset = "gsm8k"`) {
		t.Fatalf("update:\n%s\n%s", out, after)
	}
	if b, err := LoadBaselines(path, false); err != nil || len(b.Entries) != 3 {
		t.Fatalf("rewritten file: %v", err)
	}
}

// A dataset cut short fails the case, naming both numbers, instead of
// judging fewer questions against the baseline.
func TestCutDatasetFailsNamingBothNumbers(t *testing.T) {
	cut := func(root string) {
		p := filepath.Join(root, "eval_data", "gsm8k", "test.jsonl")
		lines := strings.SplitAfter(readFile(t, p), "\n")
		os.WriteFile(p, []byte(strings.Join(lines[:5], "")), 0o644)
	}
	for _, tc := range []struct {
		name       string
		edit, base func(string) string
		want       string
	}{
		{"fewer than samples", nil, nil, "dataset gsm8k gives 5 questions, fewer than the case's samples = 50"},
		{"fewer than the baseline's n", func(s string) string {
			return strings.Replace(s, "samples = 50", "samples = 0", 1)
		}, func(s string) string {
			return strings.Replace(s, "samples = 50", "samples = 0", 1)
		}, "dataset gsm8k gives 5 questions, fewer than the 50 its baseline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &watchLog{}
			_, err := stageRunPrepared(t, context.Background(), func(root string) {
				cut(root)
				if tc.edit != nil {
					p := filepath.Join(root, "tpuci.toml")
					os.WriteFile(p, []byte(tc.edit(readFile(t, p))), 0o644)
				}
				if tc.base != nil {
					p := filepath.Join(root, "tpuci", "baselines", "accuracy.toml")
					os.WriteFile(p, []byte(tc.base(readFile(t, p))), 0o644)
				}
			}, log)
			if err == nil || !strings.Contains(err.Error()+log.String(), tc.want) {
				t.Fatalf("want %q, got %v\n%s", tc.want, err, log)
			}
		})
	}
}
