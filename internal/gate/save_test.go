package gate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
)

func TestReadResultsChecksTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pallas.json")
	st := report.TargetResult{Target: "pallas", Cases: []report.Case{{Name: "gmm/a", Status: report.Passed, Extra: map[string]float64{"time_ms": 2}}}}
	if err := report.WriteJSON(path, st); err != nil {
		t.Fatal(err)
	}
	r, err := ReadResults(path, "pallas")
	if err != nil || len(r.Cases) != 1 || r.Cases[0].Name != "gmm/a" || !strings.Contains(string(r.Cases[0].Extra), `"time_ms": 2`) {
		t.Fatalf("results %+v, %v", r, err)
	}
	if _, err := ReadResults(path, "perf"); err == nil || !strings.Contains(err.Error(), `holds results of "pallas", not perf`) {
		t.Fatalf("wrong target: %v", err)
	}
	if _, err := ReadResults(filepath.Join(t.TempDir(), "none.json"), "perf"); err == nil || !strings.Contains(err.Error(), "run go tool mage perf first") {
		t.Fatalf("missing results: %v", err)
	}
}

func TestSaveWritesUnlessDryRun(t *testing.T) {
	path := write(t, sample)
	f, _ := Load(path)
	cs, err := f.Update([]Measurement{{"v6e-1", "dense-latency", "median_ttft_ms", 55}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res := &report.TargetResult{}
	if err := Save(&out, res, f, cs, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != sample || !strings.Contains(out.String(), "TPUCI_DRY_RUN is set") || len(res.Tables) != 1 {
		t.Fatalf("dry run wrote the file or missed the table:\n%s", out.String())
	}
	out.Reset()
	if err := Save(&out, nil, f, cs, false); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !strings.HasPrefix(string(data), "# tpuci baselines") || !strings.Contains(out.String(), "wrote "+path) {
		t.Fatalf("file not written:\n%s\n%s", data, out.String())
	}
}
