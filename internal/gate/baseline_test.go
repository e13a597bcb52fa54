package gate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
)

const sample = `# header
[[baseline]]
device = "v6e-1"
case = "dense-latency"
metric = "median_ttft_ms"
value = 50.0
tolerance = 0.08

[[baseline]]
device = "v6e-1"
case = "dense-in"
metric = "input_throughput"
value = 28000.0
tolerance = 0.05

[[baseline]]
device = "cpu"
case = "gmm/m128"
metric = "time_ms"
value = 4.0
`

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "perf.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadAndFind(t *testing.T) {
	f, err := Load(write(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Exists || len(f.Entries) != 3 {
		t.Fatalf("%+v", f)
	}
	e, ok := f.Find("v6e-1", "dense-in", "input_throughput")
	if !ok || e.Value != 28000 || e.Tolerance != 0.05 {
		t.Fatalf("find: %+v %v", e, ok)
	}
	if _, ok := f.Find("v6e-4", "dense-in", "input_throughput"); ok {
		t.Fatal("found an entry of another device")
	}
	missing, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if err != nil || missing.Exists || len(missing.Entries) != 0 {
		t.Fatalf("missing file: %+v %v", missing, err)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	entry := func(extra string) string {
		return "[[baseline]]\ndevice = \"sim\"\ncase = \"c\"\nmetric = \"median_itl_ms\"\nvalue = 10.0\n" + extra
	}
	for name, tc := range map[string]struct{ text, want string }{
		"unknown field": {entry("treshold = 1\n"), "treshold"},
		"syntax":        {"[[baseline]\n", "perf.toml:1"},
		"duplicate":     {entry("") + entry(""), "duplicate of baseline[0]"},
		"no metric":     {"[[baseline]]\ndevice = \"sim\"\ncase = \"c\"\nvalue = 1.0\n", "device, case and metric are all required"},
		"direction":     {strings.Replace(entry(""), "median_itl_ms", "completed", 1), "no known direction"},
		"value":         {strings.Replace(entry(""), "10.0", "0.0", 1), "value must be a positive number"},
		"tolerance":     {entry("tolerance = 8.0\n"), "tolerance must be a fraction"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(write(t, tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestCheckLowerAndHigherIsBetter(t *testing.T) {
	f, err := Parse("perf.toml", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	j := Judge{File: f, Device: "v6e-1", Record: "go tool mage perf:baseline"}

	v := j.Check("dense-latency", "median_ttft_ms", 53.9, 0)
	if !v.Pass || v.Direction != "lower" || v.Limit != 54 || v.Message != "" {
		t.Fatalf("at the limit: %+v", v)
	}
	v = j.Check("dense-latency", "median_ttft_ms", 60, 0)
	if v.Pass || v.Margin >= 0 {
		t.Fatalf("above the limit passed: %+v", v)
	}
	for _, want := range []string{"median_ttft_ms = 60.00", "above its limit 54.00", "baseline 50.00", "+8% tolerance", "v6e-1"} {
		if !strings.Contains(v.Message, want) {
			t.Errorf("message %q lacks %q", v.Message, want)
		}
	}
	v = j.Check("dense-in", "input_throughput", 26000, 0)
	if v.Pass || v.Direction != "higher" || v.Limit != 26600 || !strings.Contains(v.Message, "below its limit 26600") {
		t.Fatalf("throughput below the limit: %+v", v)
	}
	if v := j.Check("dense-in", "input_throughput", 30000, 0); !v.Pass || v.Margin <= 0 {
		t.Fatalf("faster than baseline failed: %+v", v)
	}
}

func TestCheckMissingBaselineAndTolerance(t *testing.T) {
	f, _ := Parse("/repo/tpuci/baselines/perf.toml", []byte(sample))
	j := Judge{File: f, Device: "v6e-1", Record: "go tool mage perf:baseline"}
	v := j.Check("moe-latency", "median_ttft_ms", 40, 0)
	if v.Pass || !v.Missing || v.OtherDevice {
		t.Fatalf("missing baseline passed: %+v", v)
	}
	for _, want := range []string{"/repo/tpuci/baselines/perf.toml", "go tool mage perf:baseline", `"v6e-1"`, "moe-latency"} {
		if !strings.Contains(v.Message, want) {
			t.Errorf("message %q lacks %q", v.Message, want)
		}
	}
	if row := v.Row(); row[len(row)-1] != "FAIL (no baseline)" {
		t.Fatalf("row %v", row)
	}
	// Baselines of other devices are never used: neither pass nor fail.
	j.Device = "cpu AMD EPYC (family 25 model 1), 2 cores"
	v = j.Check("gmm/m128", "time_ms", 4.0, 0.1)
	if v.Pass || !v.OtherDevice {
		t.Fatalf("another device's baseline was used: %+v", v)
	}
	for _, want := range []string{"no baseline for this device (cpu AMD EPYC (family 25 model 1), 2 cores)", "it has baselines of v6e-1; cpu", "record one with go tool mage perf:baseline"} {
		if !strings.Contains(v.Message, want) {
			t.Errorf("message %q lacks %q", v.Message, want)
		}
	}
	if row := v.Row(); row[len(row)-1] != "skipped (no baseline for this device)" {
		t.Fatalf("row %v", row)
	}
	// A kernel entry has no tolerance: the kernel's applies, none fails.
	j.Device = "cpu"
	if v := j.Check("gmm/m128", "time_ms", 4.3, 0.10); !v.Pass || v.Tolerance != 0.10 {
		t.Fatalf("fallback tolerance: %+v", v)
	}
	if v := j.Check("gmm/m128", "time_ms", 4.3, 0); v.Pass || !strings.Contains(v.Message, "no tolerance") {
		t.Fatalf("no tolerance at all: %+v", v)
	}
}

func TestUpdateKeepsTolerancesAndPrintsChanges(t *testing.T) {
	path := write(t, sample)
	f, _ := Load(path)
	tols := map[string]float64{"median_itl_ms": 0.1}
	tol := func(m string) (float64, bool) { v, ok := tols[m]; return v, ok }
	cs, err := f.Update([]Measurement{
		{"v6e-1", "dense-latency", "median_ttft_ms", 55.123456},
		{"v6e-1", "dense-latency", "median_itl_ms", 12},
		{"v6e-1", "dense-in", "input_throughput", 28000}, // unchanged
	}, tol)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("changes %v", cs)
	}
	if got := cs[0].String(); got != "v6e-1 dense-latency median_ttft_ms: 50.00 -> 55.12 (+10.2%)" {
		t.Fatalf("change line %q", got)
	}
	if got := cs[1].String(); !strings.Contains(got, "new 12.00 (tolerance 10%)") {
		t.Fatalf("new line %q", got)
	}
	if e, _ := f.Find("v6e-1", "dense-latency", "median_ttft_ms"); e.Tolerance != 0.08 || e.Value != 55.123 {
		t.Fatalf("updated entry %+v", e)
	}
	if _, err := f.Update([]Measurement{{"v6e-1", "x", "output_throughput", 1}}, tol); err == nil || !strings.Contains(err.Error(), "output_throughput") {
		t.Fatalf("new metric without tolerance: %v", err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Entries) != 4 {
		t.Fatalf("round trip lost entries: %+v", again.Entries)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# tpuci baselines, one [[baseline]]") || strings.Index(string(data), `device = "cpu"`) > strings.Index(string(data), `device = "v6e-1"`) {
		t.Fatalf("file not sorted or header missing:\n%s", data)
	}
}

func TestFormatting(t *testing.T) {
	for v, want := range map[float64]string{28299: "28299", 123.45: "123.5", 47.777: "47.78", 0.55137: "0.5514"} {
		if got := Format(v); got != want {
			t.Errorf("Format(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]float64{18744.933835969627: 18745, 14.343314: 14.343, 0.000123456: 0.00012346} {
		if got := Round(v); got != want {
			t.Errorf("Round(%v) = %v, want %v", v, got, want)
		}
	}
	if Percent(0.08) != "8%" || Percent(0.125) != "12.5%" {
		t.Fatalf("percent %s %s", Percent(0.08), Percent(0.125))
	}
	tb := Table("t", []Verdict{{Case: "c", Metric: "median_itl_ms", Value: 10, Baseline: 10, Tolerance: 0.1, Limit: 11, Margin: 0.0909, Direction: "lower", Pass: true}})
	if got := strings.Join(tb.Rows[0], "|"); got != "c|median_itl_ms|10.00|10.00|+10%|11.00|+9.1%|pass" {
		t.Fatalf("row %s", got)
	}
	if txt := report.Text(tb); !strings.Contains(txt, "case  metric") {
		t.Fatalf("text table:\n%s", txt)
	}
}
