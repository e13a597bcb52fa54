package plan

// Checks of .github/workflows: thin jobs that each run one existing mage
// target, no expressions in run lines, secrets only through env, and
// matrices only from ci:plan's outputs. The workflows use a small subset
// of YAML (block mappings and lists, one-line scalars), which node reads.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/proc"
)

// node is one "key: value" line (or list item) with the lines nested under it.
type node struct {
	key, value string
	line       int
	indent     int
	kids       []*node
	parent     *node
}

func (n *node) child(key string) *node {
	for _, k := range n.kids {
		if k.key == key {
			return k
		}
	}
	return nil
}

// path names a node by its keys, for messages.
func (n *node) path() string {
	var parts []string
	for cur := n; cur != nil && cur.parent != nil; cur = cur.parent {
		parts = append([]string{cur.key}, parts...)
	}
	return strings.Join(parts, ".")
}

// parseYAML reads the block-style subset of YAML the workflows use.
func parseYAML(t *testing.T, name string, data []byte) *node {
	t.Helper()
	root := &node{indent: -1}
	stack := []*node{root}
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimRight(raw, " \r")
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.Contains(line, "\t") {
			t.Fatalf("%s:%d: tab in YAML", name, i+1)
		}
		indent := len(line) - len(trimmed)
		for len(stack) > 1 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		parent := stack[len(stack)-1]
		if rest, ok := strings.CutPrefix(trimmed, "- "); ok || trimmed == "-" {
			item := &node{key: "-", line: i + 1, indent: indent, parent: parent}
			parent.kids = append(parent.kids, item)
			stack = append(stack, item)
			if rest == "" {
				continue
			}
			parent, indent, trimmed = item, indent+2, rest
		}
		n := &node{line: i + 1, indent: indent, parent: parent}
		if k, v, ok := strings.Cut(trimmed, ":"); ok && !strings.HasPrefix(trimmed, "\"") && !strings.Contains(k, " ") {
			n.key, n.value = k, strings.TrimSpace(v)
		} else {
			n.key, n.value = "-", trimmed // scalar list item
		}
		if n.value == "|" || n.value == ">" || strings.HasPrefix(n.value, "|") || strings.HasPrefix(n.value, ">") {
			t.Errorf("%s:%d: %s: block scalars are not allowed: keep run lines to one command", name, n.line, n.key)
		}
		parent.kids = append(parent.kids, n)
		stack = append(stack, n)
	}
	return root
}

func walk(n *node, fn func(*node)) {
	fn(n)
	for _, k := range n.kids {
		walk(k, fn)
	}
}

func workflowFiles(t *testing.T) map[string]*node {
	t.Helper()
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	if err != nil || len(files) < 3 {
		t.Fatalf("workflows: %v %v", files, err)
	}
	out := map[string]*node{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = parseYAML(t, filepath.Base(f), data)
	}
	return out
}

// mageTargets lists the targets "go tool mage -l" prints.
func mageTargets(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go tool mage -l")
	}
	var out, errb bytes.Buffer
	_, err := proc.Run(context.Background(), proc.Cmd{Argv: []string{"go", "tool", "mage", "-l"}, Dir: "../..", Timeout: 5 * time.Minute, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatalf("go tool mage -l: %v\n%s", err, errb.String())
	}
	var targets []string
	in := false
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "Targets:") {
			in = true
			continue
		}
		if f := strings.Fields(line); in && len(f) > 0 && strings.HasPrefix(line, "  ") {
			targets = append(targets, strings.TrimSuffix(f[0], "*"))
		}
	}
	if len(targets) < 5 {
		t.Fatalf("too few targets in mage -l output:\n%s", out.String())
	}
	return targets
}

var runLine = regexp.MustCompile(`^go tool mage -compile \.bin/tpuci && exec \.bin/tpuci ([A-Za-z0-9:]+)(?: [A-Za-z0-9]+)?$|^go tool mage ([A-Za-z0-9:]+)(?: [A-Za-z0-9]+)?$`)

func TestWorkflowsAreThin(t *testing.T) {
	targets := mageTargets(t)
	for name, root := range workflowFiles(t) {
		jobs := root.child("jobs")
		if jobs == nil || len(jobs.kids) == 0 {
			t.Errorf("%s: no jobs", name)
			continue
		}
		walk(root, func(n *node) {
			if strings.Contains(n.value, "secrets.") && (n.parent == nil || n.parent.key != "env") {
				t.Errorf("%s:%d: %s: secrets only through env", name, n.line, n.path())
			}
			if strings.Contains(n.value, "github.event.") && n.path() != "concurrency.group" {
				t.Errorf("%s:%d: %s: github.event only in the concurrency group; pass event data through env", name, n.line, n.path())
			}
		})
		for _, job := range jobs.kids {
			var runs []string
			uploads := 0
			walk(job, func(n *node) {
				if n.key == "run" {
					if strings.Contains(n.value, "${{") {
						t.Errorf("%s:%d: %s: no expressions in run lines; pass values through env", name, n.line, job.key)
					}
					m := runLine.FindStringSubmatch(n.value)
					if m == nil {
						t.Errorf("%s:%d: %s: run must be one mage target (go tool mage -compile .bin/tpuci && exec .bin/tpuci TARGET), got %q", name, n.line, job.key, n.value)
						return
					}
					target := m[1] + m[2]
					if !slices.Contains(targets, target) {
						t.Errorf("%s:%d: %s: target %q does not exist (go tool mage -l)", name, n.line, job.key, target)
					}
					runs = append(runs, target)
				}
				if n.key == "uses" && strings.HasPrefix(n.value, "actions/upload-artifact@") {
					if n.parent.child("if") == nil || n.parent.child("if").value != "always()" {
						t.Errorf("%s:%d: %s: upload the results with if: always()", name, n.line, job.key)
					}
					uploads++
				}
			})
			if len(runs) != 1 {
				t.Errorf("%s: job %s has %d run steps, want exactly one", name, job.key, len(runs))
			}
			if uploads != 1 {
				t.Errorf("%s: job %s uploads %d artifacts, want one with if: always()", name, job.key, uploads)
			}
			if st := job.child("steps"); st == nil || len(st.kids) < 3 || st.kids[0].child("uses") == nil ||
				!strings.HasPrefix(st.kids[0].child("uses").value, "actions/checkout@") || !strings.HasPrefix(st.kids[1].child("uses").value, "actions/setup-go@") {
				t.Errorf("%s: job %s must start with checkout and setup-go", name, job.key)
			} else if w := st.kids[1].child("with"); w == nil || w.child("go-version-file") == nil || w.child("go-version-file").value != "go.mod" {
				t.Errorf("%s: job %s: setup-go needs go-version-file: go.mod", name, job.key)
			}
		}
	}
}

func TestPRWorkflowFollowsThePlan(t *testing.T) {
	root := workflowFiles(t)["pr.yml"]
	if root == nil {
		t.Fatal("no pr.yml")
	}
	jobs := root.child("jobs")
	coord := jobs.child("coordinator")
	if coord == nil || coord.child("outputs") == nil {
		t.Fatal("pr.yml: no coordinator job with outputs")
	}
	outputs := coord.child("outputs")
	covered := map[string]bool{}
	for _, job := range jobs.kids {
		target := JobTarget(job.key)
		if job.key == "coordinator" || job.key == "finish" {
			continue
		}
		if target == "" {
			t.Errorf("pr.yml: job %s is not named after a PR target (%v)", job.key, config.PRTargets)
			continue
		}
		covered[target] = true
		var ran string
		walk(job, func(n *node) {
			if n.key == "run" {
				if m := runLine.FindStringSubmatch(n.value); m != nil {
					ran = m[1] + m[2]
				}
			}
		})
		if ran != target {
			t.Errorf("pr.yml: job %s runs %q, want %s", job.key, ran, target)
		}
		cond := ""
		if c := job.child("if"); c != nil {
			cond = c.value
		}
		if !strings.Contains(cond, "needs.coordinator.outputs.run_"+target+" == 'true'") {
			t.Errorf("pr.yml: job %s: if must test needs.coordinator.outputs.run_%s, got %q", job.key, target, cond)
		}
		if o := outputs.child("run_" + target); o == nil || o.value != "${{ steps.plan.outputs.run_"+target+" }}" {
			t.Errorf("pr.yml: coordinator does not publish run_%s", target)
		}
		if !strings.Contains(job.child("needs").value, "coordinator") {
			t.Errorf("pr.yml: job %s does not need the coordinator", job.key)
		}
		st := job.child("strategy")
		if !slices.Contains(MatrixTargets, target) {
			if st != nil {
				t.Errorf("pr.yml: job %s has a matrix but %s has none", job.key, target)
			}
			continue
		}
		want := "${{ fromJSON(needs.coordinator.outputs.matrix_" + target + ") }}"
		if st == nil || st.child("matrix") == nil || st.child("matrix").value != want {
			t.Errorf("pr.yml: job %s: matrix must be %s", job.key, want)
		}
		if o := outputs.child("matrix_" + target); o == nil || o.value != "${{ steps.plan.outputs.matrix_"+target+" }}" {
			t.Errorf("pr.yml: coordinator does not publish matrix_%s", target)
		}
		env := job.child("env")
		for k, v := range map[string]string{"TPUCI_SUITE": "${{ matrix.suite }}", "TPUCI_PARTITION": "${{ matrix.partition }}", "TPUCI_SELECT": ".tpuci-plan/select.txt"} {
			if env == nil || env.child(k) == nil || env.child(k).value != v {
				t.Errorf("pr.yml: job %s: env %s must be %s", job.key, k, v)
			}
		}
		if r := job.child("runs-on"); r == nil || r.value != "${{ matrix.runner }}" {
			t.Errorf("pr.yml: job %s: runs-on must be the matrix's runner", job.key)
		}
	}
	for _, target := range config.PRTargets {
		if !covered[target] {
			t.Errorf("pr.yml: no job runs %s", target)
		}
	}
	finish := jobs.child("finish")
	if finish == nil || finish.child("if") == nil || finish.child("if").value != "${{ always() }}" {
		t.Fatal("pr.yml: finish job must run if: always()")
	}
	for _, job := range jobs.kids {
		if job.key != "finish" && !strings.Contains(finish.child("needs").value, job.key) {
			t.Errorf("pr.yml: finish does not need %s", job.key)
		}
	}
	env := finish.child("env")
	if env == nil || env.child("TPUCI_NEEDS") == nil || env.child("TPUCI_NEEDS").value != "${{ toJSON(needs) }}" ||
		env.child("TPUCI_PLAN") == nil || env.child("TPUCI_PLAN").value != "${{ needs.coordinator.outputs.plan }}" {
		t.Error("pr.yml: finish needs env TPUCI_NEEDS=toJSON(needs) and TPUCI_PLAN=the coordinator's plan")
	}
	if e := root.child("env"); e == nil || e.child("TPUCI_DEPS") == nil || e.child("TPUCI_DEPS").value != "workflow" {
		t.Error("pr.yml: set TPUCI_DEPS: workflow, the jobs are ordered by needs")
	}
	on := root.child("on")
	if on == nil || on.child("pull_request") == nil || on.child("push") == nil {
		t.Fatal("pr.yml: triggers pull_request and push")
	}
	if ty := on.child("pull_request").child("types"); ty == nil || ty.value != "[opened, synchronize, reopened, ready_for_review, labeled]" {
		t.Errorf("pr.yml: pull_request types: %v", ty)
	}
	if c := root.child("concurrency"); c == nil || c.child("cancel-in-progress") == nil {
		t.Error("pr.yml: a concurrency group cancels redundant PR runs")
	}
}

func TestYAMLSubsetParser(t *testing.T) {
	doc := "a:\n  b: 1\n  c:\n    - uses: x\n      with:\n        k: v\n    - run: y\nd: [p, q]\n"
	root := parseYAML(t, "t.yml", []byte(doc))
	c := root.child("a").child("c")
	if len(c.kids) != 2 || c.kids[0].child("uses").value != "x" || c.kids[0].child("with").child("k").value != "v" || c.kids[1].child("run").value != "y" {
		t.Errorf("parsed %+v", c)
	}
	if root.child("d").value != "[p, q]" || root.child("a").child("c").kids[0].child("with").child("k").path() != "a.c.-.with.k" {
		t.Errorf("scalars and paths")
	}
}

// The critical path walks the same graph as the PR workflow's jobs.
func TestNeedsMatchesThePRWorkflow(t *testing.T) {
	jobs := workflowFiles(t)["pr.yml"].child("jobs")
	got := map[string][]string{}
	for _, job := range jobs.kids {
		target := JobTarget(job.key)
		if target == "" {
			continue
		}
		got[target] = []string{}
		if n := job.child("needs"); n != nil {
			for _, need := range strings.Split(strings.Trim(n.value, "[]"), ",") {
				if nt := JobTarget(strings.TrimSpace(need)); nt != "" {
					got[target] = append(got[target], nt)
				}
			}
		}
		slices.Sort(got[target])
	}
	for target, needs := range Needs {
		want := slices.Sorted(slices.Values(needs))
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got[target], want) {
			t.Errorf("pr.yml: job of %s needs %v; plan.Needs says %v", target, got[target], want)
		}
	}
	if len(got) != len(Needs) {
		t.Errorf("pr.yml has jobs for %d targets, plan.Needs %d", len(got), len(Needs))
	}
}
