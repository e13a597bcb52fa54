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

// workflow is one parsed workflow file.
type workflow struct {
	name string
	root *yaml.Node // the top mapping
}

func workflows(t *testing.T) []workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows (%v)", err)
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
		out = append(out, workflow{name: filepath.Base(f), root: doc.Content[0]})
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
	runsTPUCI   = regexp.MustCompile(`\.bin/tpuci [A-Za-z]`)
)

// Secrets reach a step only as a value of an env: mapping (never in
// run:, with: or if:, where they would land in a command line or a
// log), and every TPUCI_* or GITHUB_* variable the workflows give tpuci
// is one internal/settings knows (workflow- and job-wide ones may also
// be scripts/bootstrap.sh's knobs).
func TestWorkflowEnvIsKnownAndSecretsStayInEnv(t *testing.T) {
	bootstrap, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "bootstrap.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range workflows(t) {
		walkPairs(w.root, func(k, v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "secrets.") && !inEnv(w.root, v) {
				t.Errorf("%s:%d: %s: a secret outside env:", w.name, v.Line, k.Value)
			}
		})
		check := func(env *yaml.Node, bootstrapToo bool) {
			for i := 0; env != nil && i+1 < len(env.Content); i += 2 {
				name := env.Content[i]
				if !settingName.MatchString(name.Value) {
					continue
				}
				if _, ok := settings.Lookup(name.Value); ok || (bootstrapToo && strings.Contains(string(bootstrap), name.Value)) {
					continue
				}
				t.Errorf("%s:%d: %s is not a variable internal/settings lists", w.name, name.Line, name.Value)
			}
		}
		check(get(w.root, "env"), true)
		jobs := get(w.root, "jobs")
		for i := 0; jobs != nil && i+1 < len(jobs.Content); i += 2 {
			job := jobs.Content[i+1]
			check(get(job, "env"), true)
			for _, step := range stepsOf(job) {
				if run := get(step, "run"); run != nil && runsTPUCI.MatchString(run.Value) {
					check(get(step, "env"), false)
				}
			}
		}
	}
}

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
