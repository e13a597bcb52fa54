// Package casestagetest runs a case target's pure plan over the bundled
// example on a fixed set of hosts and partitions, and compares the plans
// with a golden file (go test -update rewrites it).
package casestagetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/chips"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Hosts are the hosts plans are rendered for. The CPU is fixed, so device
// fingerprints do not depend on the machine the test runs on.
var Hosts = []struct {
	Name string
	Info chips.Info
}{
	{"cpu", chips.Info{CPU: true, Kind: "cpu", CPUModel: "Test CPU", Cores: 2}},
	{"v6e-1", chips.Info{Count: 1, Kind: "v6e-1", Source: "test", CPUModel: "Test CPU", Cores: 2}},
	{"v6e-4", chips.Info{Count: 4, Kind: "v6e-4", Source: "test", CPUModel: "Test CPU", Cores: 2}},
}

// Partitions are the partitions plans are rendered for.
var Partitions = []partition.Spec{{}, {ID: 0, Count: 2}, {ID: 1, Count: 2}}

// Example is a workspace on the bundled example's configuration (no
// interpreter; planning does not run anything).
func Example(t *testing.T) *workspace.Workspace {
	t.Helper()
	repo, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(repo, "tpuci.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return &workspace.Workspace{Repo: repo, Out: t.TempDir(), Config: cfg, Settings: settings.Defaults(),
		Getenv: func(string) string { return "" }}
}

// Golden renders plan for every host and partition and compares the text
// with testdata/plan.golden; update rewrites the file instead.
func Golden[C any](t *testing.T, ws *workspace.Workspace, plan func(*workspace.Workspace, partition.Spec) (casestage.Plan[C], error), name func(C) string, update bool) {
	t.Helper()
	var b strings.Builder
	for _, h := range Hosts {
		for _, part := range Partitions {
			ws.Chips = h.Info
			label := part.String()
			if part.Whole() {
				label = "whole"
			}
			fmt.Fprintf(&b, "== host %s, partition %s\n", h.Name, label)
			p, err := plan(ws, part)
			if err != nil {
				fmt.Fprintf(&b, "error: %v\n", err)
				continue
			}
			b.WriteString(casestage.Describe(p, name))
		}
	}
	path := filepath.Join("testdata", "plan.golden")
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestPlanGolden -update creates it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("the plans differ from %s (go test -run TestPlanGolden -update rewrites it after review):\n%s", path, b.String())
	}
}
