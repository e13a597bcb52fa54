package ci

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/impact"
	"github.com/sgl-project/tpuci/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// repo is the synthetic repository testdata/tpuci.toml describes.
var repo = map[string]string{
	"python/pkg/__init__.py":           "",
	"python/pkg/version.py":            "V = 1\n",
	"python/pkg/launch_server.py":      "from pkg.srt import engine\n",
	"python/pkg/srt/__init__.py":       "",
	"python/pkg/srt/engine.py":         "from pkg.srt import sched\n",
	"python/pkg/srt/sched.py":          "",
	"python/pkg/kernels/__init__.py":   "",
	"python/pkg/kernels/flash.py":      "X = 1\n",
	"python/pkg/test/__init__.py":      "",
	"python/pkg/test/test_utils.py":    "CMD = ['python', '-m', 'pkg.launch_server']\n",
	"python/pkg/test/test_engine.py":   "from pkg.srt.engine import *\n",
	"python/pkg/test/test_sched.py":    "from pkg.srt import sched\n",
	"python/pkg/test/test_kernel.py":   "from pkg.kernels import flash\n",
	"python/pkg/test/test_version.py":  "from pkg import version\n",
	"python/pkg/test/test_tp4.py":      "from pkg.srt import engine\n",
	"test/srt/test_server.py":          "from pkg.test.test_utils import CMD\n",
	"test/srt/test_eval.py":            "import run_eval\n",
	"test/srt/run_eval.py":             "import json\n",
	"benchmark/kernels/bench_flash.py": "from pkg.kernels import flash\n",
}

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Load("testdata/tpuci.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(""); err != nil {
		t.Fatal(err)
	}
	return c
}

func graphOf(files map[string]string) *impact.Graph {
	src := map[string][]byte{}
	for p, s := range files {
		src[p] = []byte(s)
	}
	return impact.Build(impact.ParseAll(src), []string{"python", "test/srt", ""})
}

func pr(labels []string, changed ...string) Input {
	in := Input{Event: EventPR, Repository: "o/r", Number: 7, Base: "base000", Head: "head000", Labels: labels}
	for _, c := range changed {
		st, p, _ := strings.Cut(c, " ")
		in.Changed = append(in.Changed, Change{Status: st, Path: p})
	}
	return in
}

var runCI = []string{"run-ci"}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/ci -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/ci -update rewrites it):\n%s", name, got)
	}
}

func TestPlanGolden(t *testing.T) {
	cfg := testConfig(t)
	broken := map[string]string{}
	for k, v := range repo {
		broken[k] = v
	}
	broken["python/pkg/srt/sched.py"] = "x = (\n"
	cases := []struct {
		name  string
		in    Input
		files map[string]string
		check func(t *testing.T, p *Plan)
	}{
		{"draft", func() Input { in := pr(runCI, "M python/pkg/srt/sched.py"); in.Draft = true; return in }(), repo,
			func(t *testing.T, p *Plan) {
				if p.Error == "" || len(p.Required()) != 0 {
					t.Errorf("draft: error %q, required %v", p.Error, p.Required())
				}
			}},
		{"no_label", pr(nil, "M python/pkg/srt/sched.py"), repo,
			func(t *testing.T, p *Plan) {
				if !strings.Contains(p.Blocked, `"run-ci"`) || !slices.Equal(p.Required(), []string{"lint"}) {
					t.Errorf("no label: blocked %q, required %v (lint runs on every PR)", p.Blocked, p.Required())
				}
			}},
		{"unrelated_label", func() Input {
			in := pr(runCI, "M python/pkg/srt/sched.py")
			in.Action, in.Label = "labeled", "documentation"
			return in
		}(), repo,
			func(t *testing.T, p *Plan) {
				if !strings.Contains(p.Idle, `"documentation"`) || len(p.Required()) != 0 {
					t.Errorf("unrelated label: idle %q, required %v", p.Idle, p.Required())
				}
			}},
		{"narrowed", pr(runCI, "M python/pkg/srt/sched.py"), repo,
			func(t *testing.T, p *Plan) {
				want := []string{"lint", "unitTest1", "e2e", "perf", "unitTest4", "accuracy"}
				if !slices.Equal(p.Required(), want) {
					t.Errorf("required %v, want %v", p.Required(), want)
				}
				sel := p.Selection()
				if slices.Contains(sel, "python/pkg/test/test_kernel.py") || slices.Contains(sel, "test/srt/test_eval.py") ||
					!slices.Contains(sel, "test/srt/test_server.py") || !slices.Contains(sel, "python/pkg/test/test_engine.py") {
					t.Errorf("selection %v", sel)
				}
				u1, _ := p.Target("unitTest1")
				if len(u1.Matrix) != 2 || u1.Matrix[0].Partition != "0/2" || u1.Matrix[0].Runner != "tpu-1" {
					t.Errorf("unitTest1 matrix %+v: want unit-1 in 2 parts (2 selected files)", u1.Matrix)
				}
			}},
		{"kernel_only", pr(runCI, "M python/pkg/kernels/flash.py"), repo,
			func(t *testing.T, p *Plan) {
				want := []string{"lint", "unitTest1", "pallas", "unitTest4"}
				if !slices.Equal(p.Required(), want) {
					t.Errorf("required %v, want %v", p.Required(), want)
				}
			}},
		{"test_only", pr(runCI, "M python/pkg/test/test_sched.py"), repo,
			func(t *testing.T, p *Plan) {
				if !slices.Equal(p.Selection(), []string{"python/pkg/test/test_sched.py"}) {
					t.Errorf("selection %v", p.Selection())
				}
				if perf, _ := p.Target("perf"); perf.Run {
					t.Errorf("a test-only change runs perf: %s", perf.Why)
				}
			}},
		{"docs_only", pr(runCI, "M README.md", "M python/pkg/README.md"), repo,
			func(t *testing.T, p *Plan) {
				if len(p.Required()) != 0 {
					t.Errorf("docs-only PR requires %v", p.Required())
				}
			}},
		{"docs_with_perf_label", pr([]string{"run-ci", "test:perf"}, "M README.md"), repo,
			func(t *testing.T, p *Plan) {
				if !slices.Equal(p.Required(), []string{"perf"}) {
					t.Errorf("required %v, want [perf]", p.Required())
				}
			}},
		{"run_all_file", pr(runCI, "M python/pyproject.toml", "M python/pkg/kernels/flash.py"), repo,
			func(t *testing.T, p *Plan) {
				u1, _ := p.Target("unitTest1")
				if !u1.Whole || len(u1.Matrix) != 4 {
					t.Errorf("pyproject change: unitTest1 whole=%v matrix=%d, want whole with 3+1 jobs", u1.Whole, len(u1.Matrix))
				}
			}},
		{"data_file", pr(runCI, "A python/pkg/srt/table.json"), repo,
			func(t *testing.T, p *Plan) {
				if e2e, _ := p.Target("e2e"); !e2e.Whole {
					t.Errorf("data file: e2e %+v", e2e)
				}
			}},
		{"unparseable", pr(runCI, "M python/pkg/srt/sched.py"), broken,
			func(t *testing.T, p *Plan) {
				if u1, _ := p.Target("unitTest1"); !u1.Whole || !strings.Contains(u1.Why, "unparseable") {
					t.Errorf("unparseable: %+v", u1.Why)
				}
			}},
		{"deleted", pr(runCI, "D python/pkg/srt/old.py"), func() map[string]string {
			m := map[string]string{}
			for k, v := range repo {
				m[k] = v
			}
			m["python/pkg/test/test_sched.py"] = "from pkg.srt import sched, old\n"
			return m
		}(),
			func(t *testing.T, p *Plan) {
				if !slices.Contains(p.Selection(), "python/pkg/test/test_sched.py") {
					t.Errorf("deleted module: selection %v", p.Selection())
				}
			}},
		{"full_label", pr([]string{"run-ci", "test:full"}, "M python/pkg/kernels/flash.py"), repo,
			func(t *testing.T, p *Plan) {
				if len(p.Required()) != 7 || !strings.Contains(p.Full, "test:full") {
					t.Errorf("test:full: required %v, full %q", p.Required(), p.Full)
				}
			}},
		{"push_main", Input{Event: EventPush, Ref: "refs/heads/main", Repository: "o/r", Base: "b", Head: "h"}, repo,
			func(t *testing.T, p *Plan) {
				if len(p.Required()) != 7 || p.Full != "a push to main runs every target" {
					t.Errorf("push: required %v, full %q", p.Required(), p.Full)
				}
			}},
		{"local", Input{Event: EventLocal, Base: "origin/main", Changed: []Change{{Path: "test/srt/run_eval.py", Status: "M"}}}, repo,
			func(t *testing.T, p *Plan) {
				if !slices.Equal(p.Selection(), []string{"test/srt/test_eval.py"}) {
					t.Errorf("local: selection %v", p.Selection())
				}
			}},
		{"unknown_changes", func() Input { in := pr(runCI); in.Unknown = "git diff failed"; return in }(), repo,
			func(t *testing.T, p *Plan) {
				if len(p.Required()) != 7 {
					t.Errorf("unknown changes: required %v", p.Required())
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Make(cfg, c.in, graphOf(c.files), Options{})
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, p)
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			Explain(&text, p, true)
			golden(t, c.name+".json", append(b, '\n'))
			golden(t, c.name+".txt", text.Bytes())
		})
	}
}

func TestPlanIsDeterministic(t *testing.T) {
	cfg := testConfig(t)
	in := pr(runCI, "M python/pkg/srt/sched.py", "M python/pkg/kernels/flash.py", "A docs/x.md")
	var first []byte
	for range 5 {
		p, err := Make(cfg, in, graphOf(repo), Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p)
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatal("two plans of the same input differ")
		}
	}
}

func TestOutputs(t *testing.T) {
	cfg := testConfig(t)
	p, err := Make(cfg, pr(runCI, "M python/pkg/kernels/flash.py"), graphOf(repo), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, o := range p.Outputs() {
		got[o.Name] = o.Value
		names = append(names, o.Name)
	}
	want := []string{"run_lint", "run_unitTest1", "run_e2e", "run_pallas", "run_perf", "run_unitTest4", "run_accuracy",
		"matrix_unitTest1", "matrix_e2e", "matrix_pallas", "matrix_perf", "matrix_unitTest4", "matrix_accuracy", "plan"}
	if !slices.Equal(names, want) {
		t.Fatalf("outputs %v", names)
	}
	if got["run_pallas"] != "true" || got["run_e2e"] != "false" || got["matrix_e2e"] != `{"include":[]}` {
		t.Errorf("outputs: %v", got)
	}
	if got["matrix_pallas"] != `{"include":[{"name":"pallas 1/1","part":0,"parts":1,"partition":"0/1","chips":1,"runner":"tpu-1"}]}` &&
		!strings.HasPrefix(got["matrix_pallas"], `{"include":[{"name":"pallas"`) {
		t.Errorf("matrix_pallas %s", got["matrix_pallas"])
	}
	var gate Gate
	if err := json.Unmarshal([]byte(got["plan"]), &gate); err != nil || !slices.Equal(gate.Required, []string{"lint", "unitTest1", "pallas", "unitTest4"}) {
		t.Errorf("plan output %s (%v)", got["plan"], err)
	}
	dir := t.TempDir()
	gh := testProvider(filepath.Join(dir, "out"))
	if err := WriteOutputs(gh, p); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "out"))
	if !strings.Contains(string(data), "run_pallas=true\n") || !strings.Contains(string(data), "matrix_unitTest1={\"include\":[") {
		t.Errorf("GITHUB_OUTPUT:\n%s", data)
	}
}

func testProvider(output string) *ghactions.Provider {
	return &ghactions.Provider{Active: true, Output: output, W: &bytes.Buffer{}}
}

// A test that loads a benchmark script by path depends on it, even though
// the script is outside every path filter.
func TestScriptReadByPathSelectsItsTest(t *testing.T) {
	cfg := testConfig(t)
	files := map[string]string{}
	for k, v := range repo {
		files[k] = v
	}
	files["benchmark/hicache/bench_sweep.py"] = "def knee(x):\n    return x\n"
	files["test/srt/test_eval.py"] = "import importlib.util, os\n" +
		"_P = os.path.join(os.path.dirname(__file__), '..', '..', 'benchmark', 'hicache', 'bench_sweep.py')\n" +
		"spec = importlib.util.spec_from_file_location('bench_sweep', _P)\n"
	p, err := Make(cfg, pr(runCI, "M benchmark/hicache/bench_sweep.py"), graphOf(files), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Selection(), []string{"test/srt/test_eval.py"}) {
		t.Fatalf("selection %v", p.Selection())
	}
	e2e, _ := p.Target("e2e")
	why := e2e.Suites[0].Selected[0].Why
	if !strings.Contains(why, "test/srt/test_eval.py reads benchmark/hicache/bench_sweep.py (changed)") {
		t.Errorf("explanation %q", why)
	}
	if u, _ := p.Target("unitTest1"); u.Run {
		t.Errorf("unitTest1 runs: %s", u.Why)
	}
}

// Every line of the plan's terminal goldens fits report.Width: the
// critical path and long reasons wrap. finish.txt is ci:finish's gate
// table and Markdown summary, not the plan's.
func TestPlanGoldenTextFits(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil || len(files) < 10 {
		t.Fatalf("golden text files: %v %v", files, err)
	}
	for _, f := range files {
		if filepath.Base(f) == "finish.txt" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(data), "\n") {
			if n := utf8.RuneCountInString(l); n > report.Width {
				t.Errorf("%s:%d: %d columns: %s", f, i+1, n, l)
			}
		}
	}
}

// A plan with long labels, notes, reasons and path fits report.Width in
// both views and drops no word of them.
func TestExplainFitsWithoutLosingWords(t *testing.T) {
	var labels []string
	for i := range 12 {
		labels = append(labels, fmt.Sprintf("label-number-%d", i))
	}
	why := "none of the 42 changed Python files reaches the server or script of a case, nor its launcher"
	long := "python/pkg/test/test_x.py imports python/pkg/srt/engine.py, which imports python/pkg/srt/sched.py (changed)"
	v := Verdict{Minutes: 90, Bound: 80, TPUMinutes: 200, Jobs: 20}
	for _, n := range []string{"lint", "unitTest1", "e2e", "perf", "accuracy", "unitTest4"} {
		v.Path = append(v.Path, Step{Target: n, Job: n + "-suite", Jobs: 2, Minutes: 10})
	}
	p := &Plan{Input: Input{Event: EventPR, Repository: "o/r", Number: 7, Labels: labels}, Verdict: v, FullVerdict: v,
		Files: []File{{Path: "python/pkg/srt/sched.py", Status: "M", Kind: KindPython, Note: why}},
		Targets: []Target{{Name: "accuracy", Why: why, Cases: []Pick{{Path: "mmlu", Why: long}},
			Suites: []Suite{{Name: "s", Selected: []Pick{{Path: "python/pkg/test/test_x.py", Why: long}}}}}}}
	for _, detail := range []bool{false, true} {
		var b bytes.Buffer
		Explain(&b, p, detail)
		out := b.String()
		if !report.Fits(out) {
			t.Errorf("detail %v: a line passes %d columns:\n%s", detail, report.Width, out)
		}
		words := strings.Join(strings.Fields(out), " ")
		wants := append([]string{strings.Join(labels, ", "), why, v.pathText()}, labels...)
		if detail {
			wants = append(wants, "+ python/pkg/test/test_x.py (0.0 min): "+long, "case mmlu (0.0 min): "+long)
		}
		for _, want := range wants {
			if !strings.Contains(words, want) {
				t.Errorf("detail %v: lacks %q:\n%s", detail, want, out)
			}
		}
		if !strings.Contains(out, "\n  M python/pkg/srt/sched.py  python") {
			t.Errorf("detail %v: a changed file's kind lost its two spaces:\n%s", detail, out)
		}
	}
}
