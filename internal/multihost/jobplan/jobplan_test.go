package jobplan

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.yaml")

// goldenTOML is a multi-host config as SGLang-JAX would write it.
const goldenTOML = `
[lint]
paths = ["python"]

[multihost]
namespace = "tpu-tests"
image = "us-docker.pkg.dev/sglang/ci/sglang-jax:nightly"
node_pool = "v6e-4x4"
grace_period = "20s"

[[multihost.case]]
name = "qwen3-4x4"
topology = "4x4"
hosts = 4
chips_per_host = 4
command = ["python3", "test/srt/nightly/multi_host/suite_runner.py", "--suite", "multi-host"]
env = { SGLANG_JAX_IS_IN_CI = "true", HF_HOME = "/models" }
deadline = "2h"

[[multihost.case]]
name = "small-2x2"
topology = "2x2"
hosts = 1
chips_per_host = 4
suite = "unit-test-tpu-v6e-4"
`

var goldenRun = Run{Workflow: "Multi-host test", ID: "12345678901", Attempt: "2",
	Commit: "0123456789abcdef0123456789abcdef01234567", Repository: "sgl-project/sglang-jax",
	URL: "https://github.com/sgl-project/sglang-jax/actions/runs/12345678901"}

func loadGolden(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Parse("golden.toml", []byte(goldenTOML))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(""); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPlanGolden(t *testing.T) {
	c := loadGolden(t)
	for _, mc := range c.MultiHost.Cases {
		t.Run(mc.Name, func(t *testing.T) {
			objs, err := Plan(c.MultiHost, mc, goldenRun)
			if err != nil {
				t.Fatal(err)
			}
			got, err := objs.YAML()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", mc.Name+".yaml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./internal/multihost/jobplan -update writes it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("plan differs from %s (-update rewrites it):\n%s", path, got)
			}
		})
	}
}

func TestPlanIsPure(t *testing.T) {
	c := loadGolden(t)
	a, _ := Plan(c.MultiHost, c.MultiHost.Cases[0], goldenRun)
	b, _ := Plan(c.MultiHost, c.MultiHost.Cases[0], goldenRun)
	ya, _ := a.YAML()
	yb, _ := b.YAML()
	if string(ya) != string(yb) {
		t.Fatal("two plans of the same config and run differ")
	}
	other := goldenRun
	other.Attempt = "3"
	if Name(c.MultiHost.Cases[0], goldenRun) == Name(c.MultiHost.Cases[0], other) {
		t.Fatal("a rerun attempt reuses the name of the first")
	}
}

func TestLabelValue(t *testing.T) {
	for in, want := range map[string]string{
		"Multi-host test":         "Multi-host-test",
		".github/workflows/x.yml": "github-workflows-x.yml",
		strings.Repeat("a", 70):   strings.Repeat("a", 63),
		"-?-":                     "",
	} {
		if got := LabelValue(in); got != want {
			t.Errorf("LabelValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigRejects(t *testing.T) {
	for _, tc := range []struct{ toml, want string }{
		{`[[multihost.case]]
name = "a"
topology = "4x4"
hosts = 3
chips_per_host = 4
image = "i"
command = ["x"]`, "3 hosts x 4 chips is not the 16 chips of topology 4x4"},
		{`[[multihost.case]]
name = "9lives"
topology = "2x2"
hosts = 1
chips_per_host = 4
image = "i"
command = ["x"]`, "a letter first"},
		{`[[multihost.case]]
name = "a"
topology = "2x2"
hosts = 1
chips_per_host = 4
command = ["x"]`, "image: missing"},
	} {
		c, err := config.Parse("bad.toml", []byte(tc.toml))
		if err == nil {
			err = c.Validate("")
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %q: got %v, want %q", tc.toml, err, tc.want)
		}
	}
}
