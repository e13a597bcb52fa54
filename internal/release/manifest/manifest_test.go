package manifest

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// push writes a random single-layer image labelled os/arch to ref.
func push(t *testing.T, ref, arch string) v1.Hash {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d
}

func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPublishTwoArches(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	repo := host + "/sglang-jax"
	amd := push(t, repo+":v0.5.3-amd64", "amd64")
	arm := push(t, repo+":v0.5.3-arm64", "arm64")
	res, err := Publish(ctx, Registry{}, map[string]string{"amd64": repo + ":v0.5.3-amd64", "arm64": repo + ":v0.5.3-arm64"},
		[]string{repo + ":v0.5.3", repo + ":latest"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Children["amd64"] != amd.String() || res.Children["arm64"] != arm.String() || len(res.Tags) != 2 {
		t.Errorf("%+v", res)
	}
	for _, tag := range []string{":v0.5.3", ":latest"} {
		d, found, err := Digest(ctx, Registry{}, repo+tag)
		if err != nil || !found || d != res.Digest {
			t.Errorf("%s: %s %v %v, want %s", tag, d, found, err, res.Digest)
		}
	}
	plats, err := Platforms(ctx, Registry{}, repo+":latest")
	if err != nil || strings.Join(plats, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms %v %v", plats, err)
	}
	tags, err := Tags(ctx, Registry{}, repo)
	if err != nil || len(tags) != 4 {
		t.Errorf("tags %v %v", tags, err)
	}
}

func TestPublishRefusesMissingArchAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	repo := host + "/x"
	push(t, repo+":v1-amd64", "amd64")
	_, err := Publish(ctx, Registry{}, map[string]string{"amd64": repo + ":v1-amd64", "arm64": repo + ":v1-arm64"}, []string{repo + ":v1"})
	if err == nil || !strings.Contains(err.Error(), "per-arch tag "+repo+":v1-arm64") {
		t.Fatalf("err = %v", err)
	}
	if _, found, err := Digest(ctx, Registry{}, repo+":v1"); found || err != nil {
		t.Errorf("a list was written despite the missing arch: %v %v", found, err)
	}
}

func TestPublishRefusesMislabelledTag(t *testing.T) {
	host := startRegistry(t)
	repo := host + "/x"
	push(t, repo+":v1-amd64", "arm64")
	_, err := Publish(context.Background(), Registry{}, map[string]string{"amd64": repo + ":v1-amd64"}, []string{repo + ":v1"})
	if err == nil || !strings.Contains(err.Error(), "is linux/arm64, but its tag says linux/amd64") {
		t.Fatalf("err = %v", err)
	}
}

func TestPublishRefusesIndexChild(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	repo := host + "/x"
	push(t, repo+":v1-amd64", "amd64")
	if _, err := Publish(ctx, Registry{}, map[string]string{"amd64": repo + ":v1-amd64"}, []string{repo + ":v1-nested"}); err != nil {
		t.Fatal(err)
	}
	_, err := Publish(ctx, Registry{}, map[string]string{"amd64": repo + ":v1-nested"}, []string{repo + ":v1"})
	if err == nil || !strings.Contains(err.Error(), "is itself a list") {
		t.Fatalf("err = %v", err)
	}
}

func TestPublishRefusesOtherRepository(t *testing.T) {
	host := startRegistry(t)
	push(t, host+"/a:v1-amd64", "amd64")
	_, err := Publish(context.Background(), Registry{}, map[string]string{"amd64": host + "/a:v1-amd64"}, []string{host + "/b:v1"})
	if err == nil || !strings.Contains(err.Error(), "is not in") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingRepository(t *testing.T) {
	host := startRegistry(t)
	tags, err := Tags(context.Background(), Registry{}, host+"/none")
	if err != nil || len(tags) != 0 {
		t.Errorf("%v %v", tags, err)
	}
}
