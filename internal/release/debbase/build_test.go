package debbase

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/sgl-project/tpuci/internal/debian"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/release/dockerimg"
)

// fakeEngine holds images by tag; an import stores what it was given.
type fakeEngine struct {
	dockerimg.Engine
	mu       sync.Mutex
	images   map[string]string
	imported []byte
	imports  int
	changes  []string
}

func (f *fakeEngine) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.images[ref]; ok {
		return image.InspectResponse{ID: id}, nil
	}
	return image.InspectResponse{}, errdefs.NotFound(errors.New("no such image"))
}

func (f *fakeEngine) ImageImport(_ context.Context, src image.ImportSource, ref string, o image.ImportOptions) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.imports++
	f.imported, _ = io.ReadAll(src.Source)
	f.changes = o.Changes
	f.images[ref] = "sha256:0123456789abcdef"
	return io.NopCloser(strings.NewReader(`{"status":"sha256:0123456789abcdef"}`)), nil
}

func testPlan(t *testing.T) debian.Plan {
	s := debian.Spec{Suite: "trixie", Mirror: "http://deb.debian.org/debian", Arch: "amd64",
		Packages: debian.Packages, CacheDir: t.TempDir()}
	p, err := debian.NewPlan(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnsureReusesTheTagWithoutMmdebstrap(t *testing.T) {
	t.Setenv("PATH", "") // mmdebstrap must not be needed
	p := testPlan(t)
	eng := &fakeEngine{images: map[string]string{p.Tag: "sha256:feed"}}
	res, err := Ensure(context.Background(), eng, p, io.Discard)
	if err != nil || res.How != Reused || res.ID != "sha256:feed" || eng.imported != nil {
		t.Errorf("%+v %v", res, err)
	}
}

func TestEnsureImportsTheCachedTarball(t *testing.T) {
	t.Setenv("PATH", "")
	p := testPlan(t)
	if err := os.WriteFile(p.Tarball, []byte("rootfs"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{images: map[string]string{}}
	res, err := Ensure(context.Background(), eng, p, io.Discard)
	if err != nil || res.How != Imported || res.Bytes != 6 || string(eng.imported) != "rootfs" || len(eng.changes) != len(p.Changes) {
		t.Errorf("%+v %v", res, err)
	}
}

// Runs that need the base at once import it once: a second import would
// give the tag a new image ID and cost the first run its layer cache.
func TestEnsureImportsOnceForConcurrentRuns(t *testing.T) {
	t.Setenv("PATH", "")
	p := testPlan(t)
	if err := os.WriteFile(p.Tarball, []byte("rootfs"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{images: map[string]string{}}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Ensure(context.Background(), eng, p, io.Discard); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if eng.imports != 1 {
		t.Errorf("%d imports for 4 concurrent runs, want 1", eng.imports)
	}
}

func TestEnsureNamesTheMissingTool(t *testing.T) {
	t.Setenv("PATH", "")
	p := testPlan(t)
	_, err := Ensure(context.Background(), &fakeEngine{images: map[string]string{}}, p, io.Discard)
	if !errors.Is(err, ErrNoMmdebstrap) || !strings.Contains(err.Error(), "apt-get install mmdebstrap") || strings.Contains(err.Error(), "\n") {
		t.Errorf("%v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(p.CacheDir, "*.tar*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestEnsureRealBase makes (or finds) this machine's base with the real
// engine, as release:docker does, then reuses it without mmdebstrap.
func TestEnsureRealBase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	cli, _, err := dockerimg.Connect(ctx)
	var no *dockerimg.NoEngineError
	if errors.As(err, &no) {
		needs.Missing(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	needs.Tool(t, "mmdebstrap")
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	p, err := debian.NewPlan(debian.Spec{Suite: debian.DefaultSuite, Mirror: debian.AptMirror("/"), Arch: "amd64", Packages: debian.Packages,
		CacheDir: filepath.Join(cache, "tpuci", "debian-base")})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	first, err := Ensure(ctx, cli, p, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s in %s (%.0f MB, mmdebstrap %s, import %s)", p.Tag, first.How, time.Since(start).Round(time.Millisecond),
		float64(first.Bytes)/1e6, first.Build.Round(time.Millisecond), first.Load.Round(time.Millisecond))
	t.Setenv("PATH", "")
	start = time.Now()
	again, err := Ensure(ctx, cli, p, io.Discard)
	if err != nil || again.How != Reused || again.ID != first.ID {
		t.Fatalf("second run: %+v %v", again, err)
	}
	t.Logf("reused in %s", time.Since(start).Round(time.Millisecond))
	ii, err := cli.ImageInspect(ctx, p.Tag)
	if err != nil || ii.Architecture != "amd64" || ii.Config == nil || len(ii.Config.Cmd) != 1 || ii.Config.Cmd[0] != "python3" {
		t.Errorf("image config: %+v %v", ii.Config, err)
	}
}
