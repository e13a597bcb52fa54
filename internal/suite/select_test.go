package suite

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
)

func TestSelectBeforePartitioning(t *testing.T) {
	d := config.Duration{Duration: time.Minute}
	s := &config.Suite{Name: "s", Partitions: 3, TimeoutPerFile: d, Files: []config.File{
		{Path: "t/a.py", Minutes: 5, Runner: "python"},
		{Path: "t/b.py", Minutes: 3, Runner: "python"},
		{Path: "t/c.py", Minutes: 2, Runner: "python"},
	}}
	other := &config.Suite{Name: "o", TimeoutPerFile: d, Files: []config.File{{Path: "t/d.py", Minutes: 1, Runner: "python"}}}
	sel := []string{"t/a.py", "t/c.py"}
	var got []string
	for _, part := range []partition.Spec{{ID: 0, Count: 2}, {ID: 1, Count: 2}} {
		p, err := PlanSuites([]*config.Suite{s}, Options{Repo: "/r", Python: "py", Partition: part, Select: sel})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range p.Jobs {
			got = append(got, j.File.Path)
		}
	}
	if !slices.Equal(got, sel) {
		t.Errorf("two partitions of the selection ran %v, want %v", got, sel)
	}
	p, err := PlanSuites([]*config.Suite{s, other}, Options{Repo: "/r", Python: "py", Select: sel})
	if err != nil || len(p.Jobs) != 2 || len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "o: no file selected") {
		t.Errorf("unselected suite: %+v %v", p, err)
	}
	p, err = PlanSuites([]*config.Suite{s}, Options{Repo: "/r", Python: "py"})
	if err != nil || len(p.Jobs) != 3 {
		t.Errorf("nil selection keeps every file: %+v %v", p, err)
	}
}

func TestLoadSelect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "select.txt")
	if err := os.WriteFile(path, []byte("# selected by ci:plan\nt/a.py\n\n  t/c.py  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sel, err := LoadSelect(path)
	if err != nil || !slices.Equal(sel, []string{"t/a.py", "t/c.py"}) {
		t.Errorf("LoadSelect: %q %v", sel, err)
	}
	if _, err := LoadSelect(path + ".missing"); err == nil || !strings.Contains(err.Error(), "suite: read TPUCI_SELECT") {
		t.Errorf("missing file: %v", err)
	}
}
