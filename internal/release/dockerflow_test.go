package release

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tpudocker "github.com/sgl-project/tpuci/docker"
	"github.com/sgl-project/tpuci/internal/release/dockerimg"
)

func TestContextSpecChoosesTheDockerfile(t *testing.T) {
	repo := t.TempDir()
	for _, p := range []string{"python/sgl_jax/__init__.py", ".git/HEAD", "docker/Dockerfile.tpu"} {
		_ = os.MkdirAll(filepath.Join(repo, filepath.Dir(p)), 0o755)
		_ = os.WriteFile(filepath.Join(repo, p), []byte("x\n"), 0o644)
	}
	r := &run{s: Settings{Repo: repo, Context: repo}}

	// No Dockerfile anywhere: tpuci's SGLang-JAX recipe and its .dockerignore.
	spec, err := r.contextSpec()
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := tpudocker.Get(tpudocker.SGLangJAXTPU)
	if spec.Dockerfile != injectedDockerfile || len(spec.Extra) != 1 || string(spec.Extra[0].Data) != string(rec.Dockerfile) {
		t.Fatalf("%+v", spec)
	}
	c, err := dockerimg.BuildContext(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Files, injectedDockerfile) || slices.Contains(c.Files, ".git/HEAD") {
		t.Errorf("context files %v", c.Files)
	}
	if len(r.notes) == 0 || !strings.Contains(r.notes[0], "sglang-jax-tpu") {
		t.Errorf("notes %v", r.notes)
	}

	// The repository's own Dockerfile at the context root.
	_ = os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	if spec, _ := r.contextSpec(); spec.Dockerfile != "Dockerfile" || len(spec.Extra) != 0 {
		t.Errorf("own Dockerfile: %+v", spec)
	}

	// A configured Dockerfile inside the context is referenced by path...
	r.s.Dockerfile = "docker/Dockerfile.tpu"
	if spec, _ := r.contextSpec(); spec.Dockerfile != "docker/Dockerfile.tpu" {
		t.Errorf("configured: %+v", spec)
	}
	// ...and one outside a narrower context is sent along.
	r.s.Context = filepath.Join(repo, "python")
	spec, err = r.contextSpec()
	if err != nil || spec.Dockerfile != injectedDockerfile || string(spec.Extra[0].Data) != "x\n" {
		t.Errorf("outside the context: %+v %v", spec, err)
	}
}

func TestRecipes(t *testing.T) {
	if got := tpudocker.Names(); !slices.Equal(got, []string{"sglang-jax-tpu"}) {
		t.Errorf("recipes %v", got)
	}
	if _, err := tpudocker.Get("nope"); err == nil {
		t.Error("unknown recipe accepted")
	}
	rec, err := tpudocker.Get(tpudocker.SGLangJAXTPU)
	if err != nil || !strings.Contains(string(rec.Dockerfile), "ARG VERSION") || len(rec.DockerIgnore) == 0 {
		t.Errorf("%v %s", err, rec.Dockerfile)
	}
}
