package targets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/report"
)

// record reads a stage's record from out.
func record(t *testing.T, out, target string) *report.TargetResult {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, target+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var st report.TargetResult
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

// TPUCI_ONLY on the example runs one pytest test and one unittest test
// (a script the suite runs with python, run here through unittest) and
// nothing else of unitTest1, in every suite that lists them; the record
// says it ran only those, so a later run does not take it for the whole
// target.
func TestOnlyRunsOneTestOfTheExample(t *testing.T) {
	dir := t.TempDir()
	only := "python/sgl_jax/test/test_sampling_params.py::test_invalid_values," +
		"python/sgl_jax/test/test_common_utils.py::TestCommonUtils.test_cdiv"
	r := run(t, dir, append(exampleEnv(dir), "TPUCI_DEPS=workflow", "TPUCI_ONLY="+only), "unitTest1")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	st := record(t, filepath.Join(dir, "out"), "unitTest1")
	if st.Status != report.Passed || st.Only != only {
		t.Fatalf("record: %s, only %q", st.Status, st.Only)
	}
	var names []string
	for _, c := range st.Cases {
		if c.Status == report.Skipped {
			continue
		}
		names = append(names, c.Class+" "+c.Name)
	}
	slices.Sort(names)
	// Both files are in the 1-chip and the CPU suite.
	want := []string{
		"unit-test-cpu python.sgl_jax.test.test_sampling_params::test_invalid_values",
		"unit-test-cpu test_common_utils.TestCommonUtils.test_cdiv",
		"unit-test-tpu-v6e-1 python.sgl_jax.test.test_sampling_params::test_invalid_values",
		"unit-test-tpu-v6e-1 test_common_utils.TestCommonUtils.test_cdiv",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("cases run:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	fitsTerminal(t, "unitTest1 with TPUCI_ONLY", r.stdout+r.stderr)
}
