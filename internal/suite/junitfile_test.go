package suite

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/needs"
)

// pytest names a file from its rootdir, which is python/ in SGLang-JAX
// (python/pyproject.toml); the report names it from the repository, as
// the suite does, so that annotations, ci:finish and reruns find it.
func TestPytestCasesNameTheRepositoryPath(t *testing.T) {
	py := needs.Tool(t, "/usr/bin/python3")
	needs.PythonModules(t, py, "apt-get install python3-pytest", "pytest")
	root := t.TempDir()
	write(t, root, "python/pyproject.toml", "[project]\nname = \"p\"\nversion = \"0\"\n\n[tool.pytest.ini_options]\n")
	write(t, root, "python/p/test/test_x.py", "def test_a():\n    assert True\n\ndef test_b():\n    assert False\n")
	s := &config.Suite{Name: "s", TimeoutPerFile: config.Duration{Duration: 2 * time.Minute}, Partitions: 1, Files: []config.File{
		{Path: "python/p/test/test_x.py", Minutes: 1, Runner: config.RunnerPytest},
	}}
	plan, err := PlanSuites([]*config.Suite{s}, Options{Repo: root, Python: py, LogDir: filepath.Join(root, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	r := &Runner{Repo: root, Out: &out, Log: &log, ShmRoot: t.TempDir()}
	res, err := r.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) < 2 {
		t.Fatalf("cases: %+v\n%s", res.Cases, log.String())
	}
	for _, c := range res.Cases {
		if c.File != "python/p/test/test_x.py" {
			t.Errorf("case %s names file %q, want the repository path\n%s", c.Name, c.File, log.String())
		}
	}
}
