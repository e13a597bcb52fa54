package suite

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/workspace"
)

func defaultWorkspace(t *testing.T) *workspace.Workspace {
	t.Helper()
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &workspace.Workspace{Repo: "/r", Config: cfg, Getenv: func(string) string { return "" }, Settings: settings.Defaults()}
}

// suite:list shows every partition of the configured matrix size, and all
// partitions together hold each file exactly once.
func TestListCoversEveryFileOnce(t *testing.T) {
	ws := defaultWorkspace(t)
	var out bytes.Buffer
	if err := List(&out, ws, "unit-test-tpu-v6e-1", partition.Spec{}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Count(text, "unit-test-tpu-v6e-1 partition ") != 5 || !strings.Contains(text, "partition 4/5:") {
		t.Fatalf("want 5 partitions:\n%s", text)
	}
	s, _ := ws.Config.Suite("unit-test-tpu-v6e-1")
	for _, f := range s.Files {
		if n := strings.Count(text, " "+f.Path); n != 1 {
			t.Errorf("%s listed %d times", f.Path, n)
		}
	}
	out.Reset()
	if err := List(&out, ws, "unit-test-tpu-v6e-1", partition.Spec{ID: 2, Count: 5}); err != nil || strings.Count(out.String(), "partition ") != 1 {
		t.Fatalf("one partition: %v\n%s", err, out.String())
	}
	if err := List(&out, ws, "nope", partition.Spec{}); err == nil || !strings.Contains(err.Error(), "unit-test-tpu-v6e-1") {
		t.Fatalf("unknown suite error should list suites: %v", err)
	}
}

func TestImportWritesTOML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "run_suite.py")
	os.WriteFile(p, []byte("suites = {\n    \"unit-test-tpu-v6e-1\": [\n        TestFile(\"python/sgl_jax/test/test_a.py\", 3),\n    ],\n}\n"), 0o644)
	var out bytes.Buffer
	if err := Import(&out, p); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("imported", out.Bytes())
	if err != nil {
		t.Fatalf("imported TOML does not load: %v\n%s", err, out.String())
	}
	if len(c.Suites) != 1 || c.Suites[0].Target != "unitTest1" || c.Suites[0].Files[0].Minutes != 3 {
		t.Fatalf("%+v", c.Suites)
	}
}
