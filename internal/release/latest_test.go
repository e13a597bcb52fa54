package release

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sgl-project/tpuci/internal/release/dockerimg"
)

// startRegistry serves an in-memory registry on 127.0.0.1; listing tags
// answers 500 while *failTags is true.
func startRegistry(t *testing.T, failTags *bool) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *failTags && strings.HasSuffix(r.URL.Path, "/tags/list") {
			http.Error(w, "storage backend unavailable", http.StatusInternalServerError)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func pushRandom(t *testing.T, ref string) {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
}

// release:version reads the registry's tags like release:docker does: a
// published v0.2.0 keeps latest for 0.1.0 (a backport), in the plan and
// in the GitHub output.
func TestVersionReadsRegistryTags(t *testing.T) {
	fail := false
	host := startRegistry(t, &fail)
	pushRandom(t, host+"/sgl-jax-example:v0.2.0")
	f := newFixture(t)
	f.env["TPUCI_RELEASE_IMAGE"] = host + "/sgl-jax-example"
	_, out, err := f.run(context.Background(), "release:version", Version)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "latest:     false (0.2.0 is higher (a backport never moves latest))") {
		t.Errorf("plan:\n%s", out)
	}
	outputs, _ := os.ReadFile(f.env["GITHUB_OUTPUT"])
	if !strings.Contains(string(outputs), "update_latest=false\n") {
		t.Errorf("GitHub outputs:\n%s", outputs)
	}
}

// A registry error while deciding latest fails closed: latest does not
// move, and publishing is refused.
func TestRegistryErrorFailsClosed(t *testing.T) {
	fail := true
	host := startRegistry(t, &fail)
	f := newFixture(t)
	f.env["TPUCI_RELEASE_IMAGE"] = host + "/sgl-jax-example"
	_, out, err := f.run(context.Background(), "release:version", Version)
	if err != nil || !strings.Contains(out, "latest:     false (unknown: registry tags unknown") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	f.publishing()
	f.env["GITHUB_OUTPUT"] = f.t.TempDir() + "/github-output"
	_, out, err = f.run(context.Background(), "release:version", Version)
	if err != nil || !strings.Contains(out, "publish:    refused: release: cannot decide whether latest moves") {
		t.Fatalf("publishing: %v\n%s", err, out)
	}
	outputs, _ := os.ReadFile(f.env["GITHUB_OUTPUT"])
	if !strings.Contains(string(outputs), "update_latest=false\n") || !strings.Contains(string(outputs), "publish=false\n") {
		t.Errorf("GitHub outputs:\n%s", outputs)
	}
	// release:docker makes the same decision and refuses before building.
	if cli, _, err := dockerimg.Connect(context.Background()); err == nil {
		cli.Close()
		st, _, err := f.run(context.Background(), "release:docker", Docker)
		if err == nil || !strings.Contains(err.Error(), "fails closed") || caseOf(st, "build").Name != "" {
			t.Errorf("release:docker: %v", err)
		}
	}
}
