package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// A case stage rerun from an earlier attempt (TPUCI_RERUN_FROM) sees its
// filter pointed at what failed there, runs as a whole share, and its
// record merges what ran with what is carried over; a stage that passed
// there runs nothing and says so; the filter is restored afterwards.
func TestRerunNarrowsACaseStageAndCarriesOver(t *testing.T) {
	repo := newRepo(t)
	earlier := filepath.Join(t.TempDir(), "earlier")
	old := filepath.Join("/runner", "tpuci-out")
	writeRec := func(target, body string) {
		if err := os.MkdirAll(earlier, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(earlier, target+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeRec("pallas", `{"target":"pallas","status":"failed","log_dir":"`+old+`/logs/pallas","cases":[
		{"name":"gmm/small","class":"pallas.gmm","status":"failed","message":"slower","log":"`+old+`/logs/pallas/gmm.log"},
		{"name":"gmm/big","class":"pallas.gmm","status":"passed"},
		{"name":"fa/small","class":"pallas.fa","status":"passed"}]}`)
	writeRec("lint", `{"target":"lint","status":"passed","log_dir":"`+old+`/logs/lint","cases":[{"name":"lint","status":"passed"}]}`)
	s, out := session(t, repo, map[string]string{"TPUCI_RERUN_FROM": earlier, "TPUCI_KERNELS": "gmm,fa", "TPUCI_PARTITION": "0/2"})
	var saw []string
	ran := false
	err := s.Run(context.Background(), "pallas", func(_ context.Context, ws *workspace.Workspace, st *Stage) error {
		saw = slices.Clone(ws.Settings.Kernels)
		if !st.Partition.Whole() {
			t.Errorf("a rerun of named kernels runs a share: %v", st.Partition)
		}
		st.Cases = []report.Case{{Name: "gmm/small", Class: "pallas.gmm", Status: report.Passed},
			{Name: "gmm/big", Class: "pallas.gmm", Status: report.Passed}}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Join(saw, ",") != "gmm" || strings.Join(s.WS.Settings.Kernels, ",") != "gmm,fa" {
		t.Errorf("kernels seen %v, after %v", saw, s.WS.Settings.Kernels)
	}
	st := s.Stages()[0]
	by := map[string]report.Case{}
	for _, c := range st.Cases {
		by[c.Name] = c
	}
	kept := filepath.Join(repo, "out", "attempts", "1")
	if c := by["gmm/small"]; !c.Flaky() || c.Attempts[0].Log != filepath.Join(kept, "logs/pallas/gmm.log") {
		t.Errorf("gmm/small: %+v", c)
	}
	if by["gmm/big"].CarriedOver != "" || by["fa/small"].CarriedOver != "attempts/1" || st.Status != report.Passed {
		t.Errorf("record: %s %+v", st.Status, st.Cases)
	}
	if !strings.Contains(st.Reason, "ran again what failed in attempts/1 (1 kernel(s): gmm); 1 carried over") {
		t.Errorf("reason: %s", st.Reason)
	}
	err = s.Run(context.Background(), "lint", func(context.Context, *workspace.Workspace, *Stage) error {
		ran = true
		return nil
	})
	if err != nil || ran {
		t.Fatalf("lint ran (%v): %v", ran, err)
	}
	if st := s.Stages()[1]; st.Status != report.Passed || st.Cases[0].CarriedOver != "attempts/1" ||
		!strings.HasPrefix(st.Reason, "carried over from attempts/1: passed there, nothing rerun") {
		t.Errorf("lint: %+v", st)
	}
	// The carried-over record and the summary name the logs where they
	// are now: the earlier attempt's, not this run's (there are none).
	if st := s.Stages()[1]; st.LogDir != filepath.Join(kept, "logs", "lint") {
		t.Errorf("lint's logs: %s, want the kept attempt's", st.LogDir)
	}
	if md, err := os.ReadFile(filepath.Join(repo, "out", "summary.md")); err != nil ||
		!strings.Contains(string(md), "`"+filepath.Join(kept, "logs", "lint")+"`") {
		t.Errorf("summary.md does not name lint's kept logs (%v):\n%s", err, md)
	}
	if _, err := os.Stat(filepath.Join(kept, "pallas.json")); err != nil {
		t.Errorf("the earlier attempt is not kept in $TPUCI_OUT: %v", err)
	}
}
