package accuracy

import (
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/report"
)

func planConfig() *config.Config {
	return &config.Config{
		Servers: []config.Server{
			{Name: "one", Model: "small", Device: "v6e-1", Chips: 1, TP: 1},
			{Name: "four", Model: "moe", Device: "v6e-4", Chips: 4, TP: 4, EP: 4},
			{Name: "nodevice", Model: "other", Chips: 1, TP: 1},
		},
		Accuracy: config.Accuracy{Cases: []config.AccuracyCase{
			{Name: "a-small-mmlu", Server: "one", Dataset: "mmlu", Samples: 200, Minutes: 5},
			{Name: "b-moe-mmlu", Server: "four", Dataset: "mmlu", Samples: 200, Minutes: 40},
			{Name: "c-small-gsm8k", Server: "one", Dataset: "gsm8k", Minutes: 10},
			{Name: "d-other", Server: "nodevice", Dataset: "mmlu", Minutes: 1},
		}},
	}
}

func names(cs []Case) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return strings.Join(out, ",")
}

var (
	tpu1 = chips.Info{Count: 1, Kind: "v6e-1", Source: "test"}
	tpu4 = chips.Info{Count: 4, Kind: "v6e-4", Source: "test"}
	cpu  = chips.Info{Kind: "cpu", CPU: true, Source: "test"}
)

func TestPlanChipsAndServerGrouping(t *testing.T) {
	p, err := PlanCases(planConfig(), tpu1, partition.Spec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Cases of server "one" run back to back; the 4-chip case is skipped.
	if got := names(p.Run); got != "a-small-mmlu,c-small-gsm8k,d-other" {
		t.Errorf("run %s", got)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Name != "b-moe-mmlu" || p.Skipped[0].Status != report.Skipped || !strings.Contains(p.Skipped[0].Message, "needs 4 chips") {
		t.Errorf("skipped %+v", p.Skipped)
	}
	if p.Run[2].Device != "v6e-1" {
		t.Errorf("a profile without device takes the host's kind, got %q", p.Run[2].Device)
	}
	for _, hw := range []chips.Info{tpu4, cpu} {
		p, _ := PlanCases(planConfig(), hw, partition.Spec{}, nil)
		if len(p.Run) != 4 || len(p.Skipped) != 0 {
			t.Errorf("%s: run %s, skipped %d", hw.Kind, names(p.Run), len(p.Skipped))
		}
	}
}

func TestPlanPartitionIsHostIndependent(t *testing.T) {
	// LPT by minutes: 40 -> part 0; 10 -> part 1; 5 -> part 1; 1 -> part 1.
	for _, hw := range []chips.Info{tpu1, tpu4, cpu} {
		p0, err := PlanCases(planConfig(), hw, partition.Spec{ID: 0, Count: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		p1, _ := PlanCases(planConfig(), hw, partition.Spec{ID: 1, Count: 2}, nil)
		all := names(p0.Run) + "|" + names(p1.Run)
		want := "b-moe-mmlu|a-small-mmlu,c-small-gsm8k,d-other"
		if hw.Count == 1 && !hw.CPU {
			want = "|a-small-mmlu,c-small-gsm8k,d-other"
			// p0's other cases (part 1's) and its 4-chip case, skipped for the host.
			if len(p0.Skipped) != 4 || !strings.Contains(p0.Skipped[3].Message, "needs 4 chips") {
				t.Errorf("1-chip host: partition 0 should report the 4-chip case as skipped: %+v", p0.Skipped)
			}
		}
		for _, c := range p1.Skipped[:1] {
			if c.Message != partition.OtherPartition(partition.Spec{ID: 1, Count: 2}) {
				t.Errorf("%s: a case of another partition is skipped with %q", hw.Kind, c.Message)
			}
		}
		if all != want {
			t.Errorf("%s: partitions %s, want %s", hw.Kind, all, want)
		}
	}
	if _, err := PlanCases(planConfig(), cpu, partition.Spec{ID: 5, Count: 2}, nil); err == nil || !strings.Contains(err.Error(), "TPUCI_PARTITION") {
		t.Errorf("bad spec: %v", err)
	}
	if _, err := PlanCases(planConfig(), cpu, partition.Spec{ID: 0, Count: 5}, nil); err == nil || !strings.Contains(err.Error(), "TPUCI_PARTITION=0/5 asks for 5 parts of 4 cases: use a COUNT of at most 4") {
		t.Errorf("too many parts: %v", err)
	}
}

func TestPlanOnlyNamedCases(t *testing.T) {
	p, err := PlanCases(planConfig(), cpu, partition.Spec{}, []string{"c-small-gsm8k"})
	if err != nil || names(p.Run) != "c-small-gsm8k" {
		t.Fatalf("%v %s", err, names(p.Run))
	}
	_, err = PlanCases(planConfig(), cpu, partition.Spec{}, []string{"nope"})
	if err == nil || !strings.Contains(err.Error(), "unknown case(s) nope; known: a-small-mmlu") {
		t.Errorf("unknown case: %v", err)
	}
}

func TestConfigDatasetsAreTheEvalDatasets(t *testing.T) {
	if got, want := strings.Join(eval.Names(), ","), strings.Join(slices.Sorted(slices.Values(config.Datasets)), ","); got != want {
		t.Errorf("eval knows %s, config accepts %s", got, want)
	}
}

func TestDefaultConfigJudgesAgainstBuiltinBaselines(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanCases(cfg, tpu4, partition.Spec{}, nil)
	if err != nil || len(p.Run) != 2 {
		t.Fatalf("%v %d", err, len(p.Run))
	}
	b, _ := ParseBaselines("builtin", builtinBaselines)
	for _, c := range p.Run {
		if _, ok := b.Find(c.Key()); !ok {
			t.Errorf("default case %s has no built-in baseline (%s)", c.Name, c.Key())
		}
	}
}
