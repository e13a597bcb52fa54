package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sgl-project/tpuci/internal/settings"
)

// workflow is one parsed workflow or local action file.
type workflow struct {
	name string
	root *yaml.Node // the top mapping
}

func workflows(t *testing.T) []workflow {
	t.Helper()
	return parseYAML(t, filepath.Join(repoRoot(t), ".github", "workflows", "*.yml"))
}

// localActions are the repository's own actions, by the uses: a workflow
// names them with (./.github/actions/<dir>).
func localActions(t *testing.T) map[string]workflow {
	t.Helper()
	out := map[string]workflow{}
	for _, a := range parseYAML(t, filepath.Join(repoRoot(t), ".github", "actions", "*", "action.yml")) {
		out["./.github/actions/"+filepath.Base(filepath.Dir(a.name))] = a
	}
	return out
}

// parseYAML parses every file matching pattern; name is the path from the
// repository root.
func parseYAML(t *testing.T, pattern string) []workflow {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("nothing matches %s (%v)", pattern, err)
	}
	var out []workflow
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			t.Fatalf("%s: not a mapping", f)
		}
		rel, _ := filepath.Rel(repoRoot(t), f)
		out = append(out, workflow{name: rel, root: doc.Content[0]})
	}
	return out
}

// get is a mapping's value under key, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// walkPairs calls fn for every key/value pair of every mapping under n.
func walkPairs(n *yaml.Node, fn func(key, value *yaml.Node)) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			fn(n.Content[i], n.Content[i+1])
		}
	}
	for _, c := range n.Content {
		walkPairs(c, fn)
	}
}

var (
	settingName = regexp.MustCompile(`^(TPUCI|GITHUB)_`)
	runsTPUCI   = regexp.MustCompile(`\.bin/tpuci ([A-Za-z]|\$\{\{)`)
	inputRef    = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)
	literal     = regexp.MustCompile(`^[A-Za-z0-9:_-]+$`)
)

// Secrets reach a step only as a value of an env: mapping (never in
// run:, with: or if:, where they would land in a command line or a
// log), and every TPUCI_* or GITHUB_* variable the workflows give tpuci
// is one internal/settings knows (workflow- and job-wide ones may also
// be scripts/bootstrap.sh's knobs). A step calling a local action that
// runs tpuci gives tpuci its env, and the inputs that action puts on
// tpuci's command line are literals; the action's own steps follow the
// same rules, and name no secret (they get them only from the caller's env).
func TestWorkflowEnvIsKnownAndSecretsStayInEnv(t *testing.T) {
	bootstrap, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "bootstrap.sh"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(file string, env *yaml.Node, bootstrapToo bool) {
		for i := 0; env != nil && i+1 < len(env.Content); i += 2 {
			name := env.Content[i]
			if !settingName.MatchString(name.Value) {
				continue
			}
			if _, ok := settings.Lookup(name.Value); ok || (bootstrapToo && strings.Contains(string(bootstrap), name.Value)) {
				continue
			}
			t.Errorf("%s:%d: %s is not a variable internal/settings lists", file, name.Line, name.Value)
		}
	}
	// tpuciArgs are, per local action that runs tpuci, the inputs its
	// tpuci command line interpolates.
	actions := localActions(t)
	tpuciArgs := map[string][]string{}
	for uses, a := range actions {
		walkPairs(a.root, func(k, v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "secrets.") {
				t.Errorf("%s:%d: %s: a secret in an action (the caller's env passes it)", a.name, v.Line, k.Value)
			}
		})
		for _, step := range stepsOf(get(a.root, "runs")) {
			run := get(step, "run")
			if run == nil || !runsTPUCI.MatchString(run.Value) {
				continue
			}
			check(a.name, get(step, "env"), false)
			tpuciArgs[uses] = append(tpuciArgs[uses], "")
			for _, m := range inputRef.FindAllStringSubmatch(run.Value, -1) {
				tpuciArgs[uses] = append(tpuciArgs[uses], m[1])
			}
		}
	}
	if len(tpuciArgs) == 0 {
		t.Error("no local action runs tpuci: the Python jobs' steps are not checked")
	}
	for _, w := range workflows(t) {
		walkPairs(w.root, func(k, v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "secrets.") && !inEnv(w.root, v) {
				t.Errorf("%s:%d: %s: a secret outside env:", w.name, v.Line, k.Value)
			}
		})
		check(w.name, get(w.root, "env"), true)
		jobs := get(w.root, "jobs")
		for i := 0; jobs != nil && i+1 < len(jobs.Content); i += 2 {
			job := jobs.Content[i+1]
			check(w.name, get(job, "env"), true)
			for _, step := range stepsOf(job) {
				if run := get(step, "run"); run != nil && runsTPUCI.MatchString(run.Value) {
					check(w.name, get(step, "env"), false)
				}
				uses := get(step, "uses")
				if uses == nil || !strings.HasPrefix(uses.Value, "./") {
					continue
				}
				if _, ok := actions[uses.Value]; !ok {
					t.Errorf("%s:%d: %s is no action under .github/actions", w.name, uses.Line, uses.Value)
				}
				args, ok := tpuciArgs[uses.Value]
				if !ok {
					continue
				}
				check(w.name, get(step, "env"), false)
				for _, in := range args {
					if v := get(get(step, "with"), in); in != "" && (v == nil || !literal.MatchString(v.Value)) {
						t.Errorf("%s:%d: %s: input %s reaches tpuci's command line; it must be a literal", w.name, uses.Line, uses.Value, in)
					}
				}
			}
		}
	}
}

// A local action is read from the job's checkout, so a checkout precedes
// every step that uses one.
func TestLocalActionsFollowCheckout(t *testing.T) {
	for _, w := range workflows(t) {
		jobs := get(w.root, "jobs")
		for i := 0; jobs != nil && i+1 < len(jobs.Content); i += 2 {
			checkedOut := false
			for _, step := range stepsOf(jobs.Content[i+1]) {
				uses := get(step, "uses")
				if uses == nil {
					continue
				}
				if strings.HasPrefix(uses.Value, "actions/checkout@") {
					checkedOut = true
				} else if strings.HasPrefix(uses.Value, "./") && !checkedOut {
					t.Errorf("%s:%d: %s before any checkout", w.name, uses.Line, uses.Value)
				}
			}
		}
	}
}

// stepsOf are the steps of a job, or of an action's runs:.
func stepsOf(job *yaml.Node) []*yaml.Node {
	if s := get(job, "steps"); s != nil && s.Kind == yaml.SequenceNode {
		return s.Content
	}
	return nil
}

// inEnv reports whether v is a value of some env: mapping under root.
func inEnv(root, v *yaml.Node) bool {
	found := false
	walkPairs(root, func(k, env *yaml.Node) {
		if k.Value != "env" || env.Kind != yaml.MappingNode {
			return
		}
		for i := 1; i < len(env.Content); i += 2 {
			found = found || env.Content[i] == v
		}
	})
	return found
}
