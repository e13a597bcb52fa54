package stages_test

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sgl-project/tpuci/internal/ci"
	"github.com/sgl-project/tpuci/internal/stages"
)

type workflow struct {
	Jobs map[string]struct {
		Needs    yaml.Node `yaml:"needs"`
		Strategy struct {
			Matrix any `yaml:"matrix"`
		} `yaml:"strategy"`
	} `yaml:"jobs"`
}

// needsOf reads a job's needs:, a name or a list of names.
func needsOf(n yaml.Node) ([]string, error) {
	var one string
	if n.Decode(&one) == nil && one != "" {
		return []string{one}, nil
	}
	var many []string
	if n.Kind == 0 {
		return nil, nil
	}
	if err := n.Decode(&many); err != nil {
		return nil, fmt.Errorf("needs: %w", err)
	}
	return many, nil
}

// readPRWorkflow parses a PR workflow file.
func readPRWorkflow(t *testing.T, data []byte) workflow {
	t.Helper()
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

const prWorkflow = "../../.github/workflows/pr-test.yml"

// The PR workflow runs the graph the registry describes: one job per PR
// stage, each waiting for exactly the stages the registry says (besides
// the coordinator), a matrix where the registry has one, and a final gate
// that waits for all of them. ci:plan's critical path and pr's order use
// the same registry, so they follow the graph the workflow runs.
func TestPRWorkflowFollowsTheRegistry(t *testing.T) {
	data, err := os.ReadFile(prWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range disagreements(readPRWorkflow(t, data)) {
		t.Error(p)
	}
}

// The check fails when a needs: line disagrees with the registry: perf
// waiting for pallas as well as e2e is the drift it guards against.
func TestRegistryCheckCatchesAnEditedNeeds(t *testing.T) {
	data, err := os.ReadFile(prWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	const perfNeeds = "needs: [coordinator, e2e]\n"
	if strings.Count(string(data), perfNeeds) != 1 {
		t.Fatalf("%s: want one %q (perf's)", prWorkflow, perfNeeds)
	}
	edited := strings.Replace(string(data), perfNeeds, "needs: [coordinator, e2e, pallas]\n", 1)
	got := disagreements(readPRWorkflow(t, []byte(edited)))
	if len(got) != 1 || !strings.Contains(got[0], "job perf needs [e2e pallas]; the registry says perf needs [e2e]") {
		t.Errorf("problems: %q", got)
	}
}

// disagreements lists where workflow w and the registry differ.
func disagreements(w workflow) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		job := w.Jobs[id]
		target := ci.JobTarget(id)
		if target == "" {
			continue
		}
		seen[target] = true
		st, _ := stages.Get(target)
		needs, err := needsOf(job.Needs)
		if err != nil {
			out = append(out, fmt.Sprintf("job %s: %v", id, err))
		}
		var got []string
		for _, n := range needs {
			switch nt := ci.JobTarget(n); {
			case n == "coordinator":
			case nt == "":
				out = append(out, fmt.Sprintf("job %s needs %s, which is no stage", id, n))
			default:
				got = append(got, nt)
			}
		}
		slices.Sort(got)
		if want := slices.Sorted(slices.Values(st.Needs)); !slices.Equal(got, want) {
			out = append(out, fmt.Sprintf("job %s needs %v; the registry says %s needs %v", id, got, target, want))
		}
		if matrix := job.Strategy.Matrix != nil; matrix != st.Matrix {
			out = append(out, fmt.Sprintf("job %s: matrix %v; the registry says %v", id, matrix, st.Matrix))
		}
	}
	finish, _ := needsOf(w.Jobs["finish"].Needs)
	for _, name := range stages.PR() {
		if !seen[name] {
			out = append(out, "the PR workflow has no job for "+name)
		}
		if !slices.ContainsFunc(finish, func(n string) bool { return ci.JobTarget(n) == name }) {
			out = append(out, "finish does not wait for "+name)
		}
	}
	return out
}
