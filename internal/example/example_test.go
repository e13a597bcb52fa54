package example

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
)

func TestEmbeddedTreeLayout(t *testing.T) {
	fsys := FS()
	for _, p := range []string{
		"tpuci.toml", "Dockerfile", ".dockerignore", "README.md",
		"python/pyproject.toml", "python/README.md",
		"python/sgl_jax/__init__.py", "python/sgl_jax/launch_server.py",
		"python/sgl_jax/srt/layers/rotary_embedding.py", "python/sgl_jax/srt/layers/attention.py",
		"python/sgl_jax/srt/sampling/sampling_params.py", "python/sgl_jax/srt/utils/common_utils.py",
		"python/sgl_jax/srt/kernels/flash_attention/flash_attention.py",
		"benchmark/kernels/flash_attention/bench_flashattention.py",
		"benchmark/kernels/update_kv_cache/bench_update_kv_cache.py",
		"benchmark/kernels/megablox_gmm/bench_megablox_gmm.py",
		"eval_data/mmlu/mmlu.csv", "eval_data/gsm8k/test.jsonl",
	} {
		if _, err := fs.Stat(fsys, p); err != nil {
			t.Errorf("bundled tree lacks %s", p)
		}
	}
	v, err := fs.ReadFile(fsys, "python/sgl_jax/version.py")
	if err != nil || string(v) != "__version__ = \"0.1.0\"\n" {
		t.Errorf("version.py = %q, %v; want exactly __version__ = \"0.1.0\"", v, err)
	}
	unit, _ := fs.Glob(fsys, "python/sgl_jax/test/test_*.py")
	e2e, _ := fs.Glob(fsys, "test/srt/test_*.py")
	if len(unit) < 6 || len(e2e) < 3 {
		t.Errorf("%d unit and %d e2e test files; want at least 6 and 3", len(unit), len(e2e))
	}
	// Build leftovers would be embedded (and shipped) if someone ran Python in the source tree.
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		base := filepath.Base(p)
		if base == "__pycache__" || base == ".venv" || base == ".pytest_cache" ||
			strings.HasSuffix(base, ".pyc") || strings.HasSuffix(base, ".egg-info") {
			t.Errorf("build leftover %s in internal/example/repo: delete it and rerun Python with PYTHONDONTWRITEBYTECODE=1", p)
		}
		return err
	})
}

func TestDockerfileNeedsNoShell(t *testing.T) {
	data, err := fs.ReadFile(FS(), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if regexp.MustCompile(`(?m)^\s*RUN\s+[^\[\s]`).MatchString(text) {
		t.Error("Dockerfile has a shell-form RUN step; images built FROM scratch have no shell (use the exec form RUN [\"...\"])")
	}
	if !strings.Contains(text, "FROM ${BASE_IMAGE}") || !strings.Contains(text, `CMD ["python3", "-m", "sgl_jax"]`) {
		t.Errorf("Dockerfile must build FROM ${BASE_IMAGE} and print the version by default:\n%s", text)
	}
}

func TestEvalDataIsWellFormed(t *testing.T) {
	f, err := FS().Open("eval_data/mmlu/mmlu.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("mmlu.csv: %v", err)
	}
	if want := []string{"Question", "A", "B", "C", "D", "Answer", "Subject"}; !slices.Equal(rows[0], want) {
		t.Fatalf("mmlu.csv header %v, want %v", rows[0], want)
	}
	subjects := map[string]bool{}
	for i, r := range rows[1:] {
		opts := map[string]bool{r[1]: true, r[2]: true, r[3]: true, r[4]: true}
		if len(opts) != 4 || !slices.Contains([]string{"A", "B", "C", "D"}, r[5]) || r[0] == "" {
			t.Errorf("mmlu.csv row %d: %v: want 4 distinct options and an answer letter", i+2, r)
		}
		subjects[r[6]] = true
	}
	if len(rows)-1 < 120 || len(subjects) < 4 {
		t.Errorf("mmlu.csv has %d questions over %d subjects; want >= 120 over >= 4", len(rows)-1, len(subjects))
	}

	data, err := fs.ReadFile(FS(), "eval_data/gsm8k/test.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	final := regexp.MustCompile(`\n#### -?\d+$`)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i, line := range lines {
		var item struct{ Question, Answer string }
		if err := json.Unmarshal([]byte(line), &item); err != nil || item.Question == "" || !final.MatchString(item.Answer) {
			t.Errorf("test.jsonl line %d: %v: want question and an answer ending in '#### <number>'", i+1, err)
		}
	}
	if len(lines) < 60 {
		t.Errorf("test.jsonl has %d problems; want >= 60", len(lines))
	}
}

func TestExtractIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	root, err := Extract(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, DirName()); root != want || len(DirName()) != len("example-")+12 {
		t.Fatalf("Extract = %s, want %s", root, want)
	}
	// Every embedded file is on disk with the same bytes.
	err = fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want, _ := fs.ReadFile(FS(), p)
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs on disk (%v)", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(root)
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("root mode %v (%v), want 0755", st.Mode().Perm(), err)
	}

	// A second call reuses the directory instead of rewriting it.
	marker := filepath.Join(root, "marker")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := Extract(dir)
	if err != nil || again != root {
		t.Fatalf("second Extract = %s, %v; want %s", again, err, root)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Error("second Extract rewrote the existing tree")
	}
	assertOnlyEntry(t, dir, DirName())
}

func TestExtractConcurrent(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	roots := make([]string, 6)
	errs := make([]error, len(roots))
	for i := range roots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			roots[i], errs[i] = Extract(dir)
		}()
	}
	wg.Wait()
	for i := range roots {
		if errs[i] != nil || roots[i] != roots[0] {
			t.Errorf("Extract #%d = %s, %v; want %s", i, roots[i], errs[i], roots[0])
		}
	}
	assertOnlyEntry(t, dir, DirName())
	if _, err := os.Stat(filepath.Join(roots[0], "tpuci.toml")); err != nil {
		t.Error(err)
	}
}

func TestExtractIntoAFileFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Extract(file)
	if err == nil || !strings.HasPrefix(err.Error(), "example: create ") {
		t.Fatalf("Extract into a file: %v; want an example: create ... error", err)
	}
}

func assertOnlyEntry(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %v; want only %s (temporary directories must not be left behind)", dir, names, name)
	}
}

func TestConfigLoadsAndCoversEveryTest(t *testing.T) {
	root, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(root, "tpuci.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(root); err != nil {
		t.Fatal(err)
	}
	if cfg.Repo.Package != "sgl_jax" || cfg.Repo.PackageDir != "python" || cfg.Repo.VersionFile != "python/sgl_jax/version.py" {
		t.Errorf("[repo] = %+v", cfg.Repo)
	}
	want := map[string]struct {
		target            string
		chips, partitions int
	}{
		"unit-test-tpu-v6e-1": {"unitTest1", 1, 2},
		"unit-test-cpu":       {"unitTest1", 0, 1},
		"unit-test-tpu-v6e-4": {"unitTest4", 4, 1},
		"e2e-test-tpu-v6e-1":  {"e2e", 1, 1},
		"e2e-test-tpu-v6e-4":  {"e2e", 4, 1},
	}
	registered := map[string]bool{}
	methodEntries := 0
	pytestEntries := 0
	for _, s := range cfg.Suites {
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected suite %q", s.Name)
			continue
		}
		delete(want, s.Name)
		if s.Target != w.target || s.Chips != w.chips || s.Partitions != w.partitions {
			t.Errorf("suite %s: target %s chips %d partitions %d; want %+v", s.Name, s.Target, s.Chips, s.Partitions, w)
		}
		for _, f := range s.Files {
			registered[f.Path] = true
			switch f.Runner {
			case config.RunnerUnittest:
				methodEntries++
				src, _ := os.ReadFile(filepath.Join(root, f.Path))
				for _, m := range f.Methods {
					class, method, _ := strings.Cut(m, ".")
					if !strings.Contains(string(src), "class "+class+"(") || !strings.Contains(string(src), "def "+method+"(") {
						t.Errorf("%s: method %s not defined in %s", s.Name, m, f.Path)
					}
				}
			case config.RunnerPytest:
				pytestEntries++
			}
		}
	}
	for name := range want {
		t.Errorf("suite %s missing", name)
	}
	if methodEntries < 2 || pytestEntries < 1 {
		t.Errorf("%d unittest-method and %d pytest entries; want >= 2 and >= 1", methodEntries, pytestEntries)
	}
	for _, pattern := range []string{"python/sgl_jax/test/test_*.py", "test/srt/test_*.py"} {
		files, _ := fs.Glob(FS(), pattern)
		for _, f := range files {
			if !registered[f] {
				t.Errorf("%s is in no suite of tpuci.toml", f)
			}
		}
	}
}
