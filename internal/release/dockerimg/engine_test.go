package dockerimg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

// fakeEngine answers with canned JSON message streams.
type fakeEngine struct {
	Engine
	build, push string
	tagged      map[string]string
}

func (f *fakeEngine) ImageBuild(context.Context, io.Reader, build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	return build.ImageBuildResponse{Body: io.NopCloser(strings.NewReader(f.build))}, nil
}

func (f *fakeEngine) ImageTag(_ context.Context, src, dst string) error {
	f.tagged[dst] = src
	return nil
}

func (f *fakeEngine) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	return image.InspectResponse{ID: f.tagged[ref]}, nil
}

func (f *fakeEngine) ImagePush(context.Context, string, image.PushOptions) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(f.push)), nil
}

func TestBuildReadsTheStream(t *testing.T) {
	ok := `{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e Using cache\n"}
{"stream":"Step 2/2 : COPY a /a\n"}
{"stream":" ---\u003e Using cache\n"}
{"aux":{"ID":"sha256:0123456789abcdef"}}
{"stream":"Successfully built 0123456789ab\n"}
`
	var log bytes.Buffer
	res, err := Build(context.Background(), &fakeEngine{build: ok}, BuildSpec{}, &log)
	if err != nil || res.ID != "sha256:0123456789abcdef" || res.Steps != 2 || res.CacheHits != 2 {
		t.Errorf("%+v %v", res, err)
	}
	if !strings.Contains(log.String(), "Step 2/2") {
		t.Errorf("log: %q", log.String())
	}
	failing := `{"stream":"Step 1/2 : COPY missing /x\n"}
{"errorDetail":{"message":"COPY failed: file not found in build context or excluded by .dockerignore: stat missing: file does not exist"},"error":"COPY failed: file not found in build context or excluded by .dockerignore: stat missing: file does not exist"}
`
	if _, err := Build(context.Background(), &fakeEngine{build: failing}, BuildSpec{}, nil); err == nil || !strings.Contains(err.Error(), "COPY failed") {
		t.Errorf("stream error: %v", err)
	}
	if _, err := Build(context.Background(), &fakeEngine{build: `{"stream":"Step 1/1 : FROM scratch\n"}`}, BuildSpec{}, nil); err == nil || !strings.Contains(err.Error(), "no image ID") {
		t.Errorf("truncated stream: %v", err)
	}
}

func TestPushReadsTheDigest(t *testing.T) {
	f := &fakeEngine{tagged: map[string]string{}, push: `{"status":"The push refers to repository [r/x]"}
{"status":"Pushed","id":"abc"}
{"status":"v1-amd64: digest: sha256:feed size: 527"}
{"aux":{"Tag":"v1-amd64","Digest":"sha256:feed","Size":527}}
`}
	p, err := Push(context.Background(), f, "sha256:img", "r/x:v1-amd64", "", nil)
	if err != nil || p.Digest != "sha256:feed" || p.Size != 527 || f.tagged["r/x:v1-amd64"] != "sha256:img" {
		t.Errorf("%+v %v %v", p, err, f.tagged)
	}
	f.push = `{"errorDetail":{"message":"Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"},"error":"x"}` + "\n"
	if _, err := Push(context.Background(), f, "sha256:img", "r/x:v1-amd64", "", nil); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("push stream error: %v", err)
	}
}

func TestPrintsVersion(t *testing.T) {
	v := pep440.MustParse("0.5.3")
	for out, want := range map[string]bool{
		"0.5.3\n":                   true,
		"sgl_jax v0.5.3 ready.":     true,
		"version=0.5.3":             true,
		"0.5.3rc1":                  false,
		"10.5.3":                    false,
		"0.5.30":                    false,
		"no version here":           false,
		"__version__ = '0.5.3.0'\n": true, // the same version, spelled longer
	} {
		if got := PrintsVersion(out, v); got != want {
			t.Errorf("PrintsVersion(%q) = %v, want %v", out, got, want)
		}
	}
}

// engine connects to the local Docker engine, or skips (fails with CI=true).
func engine(t *testing.T) *client.Client {
	t.Helper()
	cli, _, err := Connect(context.Background())
	var no *NoEngineError
	if errors.As(err, &no) {
		needs.Missing(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// staticHello compiles a static program that prints its VERSION and
// exits with the code given as its first argument.
func staticHello(t *testing.T, dir string) {
	t.Helper()
	src := `package main

import ("fmt"; "os"; "strconv")

func main() {
	fmt.Printf("hello version=%s\n", os.Getenv("VERSION"))
	if len(os.Args) > 1 {
		code, _ := strconv.Atoi(os.Args[1])
		fmt.Fprintln(os.Stderr, "failing on purpose")
		os.Exit(code)
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err := proc.Run(context.Background(), proc.Cmd{Argv: []string{"go", "build", "-o", "hello", "main.go"}, Dir: dir,
		Env: []string{"CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GO111MODULE=off"}, Stdout: &out, Timeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out.String())
	}
	_ = os.Remove(filepath.Join(dir, "main.go"))
}

func TestEngineBuildSmokePush(t *testing.T) {
	cli := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	staticHello(t, dir)
	df := "FROM scratch\nCOPY hello /hello\nARG VERSION\nENV VERSION=${VERSION}\nENTRYPOINT [\"/hello\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	bc, err := BuildContext(ContextSpec{Dir: dir, Dockerfile: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("tpuci-test/hello:%d", time.Now().UnixNano())
	spec := BuildSpec{Context: bytes.NewReader(bc.Tar), Dockerfile: "Dockerfile", Tags: []string{tag}, Platform: "linux/amd64",
		BuildArgs: map[string]string{"VERSION": "0.5.3"}, Labels: map[string]string{"org.opencontainers.image.version": "0.5.3"}}
	var log bytes.Buffer
	res, err := Build(ctx, cli, spec, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	ii, err := Inspect(ctx, cli, res.ID)
	if err != nil || ii.Architecture != "amd64" || ii.Config.Labels["org.opencontainers.image.version"] != "0.5.3" {
		t.Fatalf("inspect: %+v %v", ii.Config, err)
	}
	// The same context again: every step from the cache.
	spec.Context = bytes.NewReader(bc.Tar)
	again, err := Build(ctx, cli, spec, nil)
	if err != nil || again.ID != res.ID || again.CacheHits == 0 {
		t.Errorf("rebuild: %+v %v (first %s)", again, err, res.ID)
	}

	want := pep440.MustParse("0.5.3")
	out, err := Smoke(ctx, cli, SmokeSpec{Image: res.ID, Command: []string{"/hello"}, Want: want})
	if err != nil || !strings.Contains(out.Stdout, "hello version=0.5.3") {
		t.Errorf("smoke: %+v %v", out, err)
	}
	if _, err := Smoke(ctx, cli, SmokeSpec{Image: res.ID, Command: []string{"/hello"}, Want: pep440.MustParse("0.5.4")}); err == nil || !strings.Contains(err.Error(), "not the version 0.5.4") {
		t.Errorf("smoke, wrong version: %v", err)
	}
	out, err = Smoke(ctx, cli, SmokeSpec{Image: res.ID, Command: []string{"/hello", "3"}, Want: want})
	if err == nil || out.ExitCode != 3 || !strings.Contains(err.Error(), "failing on purpose") {
		t.Errorf("smoke, exit 3: %+v %v", out, err)
	}

	// A build error arrives in the stream, not from the API call.
	bad := "FROM scratch\nCOPY missing /x\n"
	_ = os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(bad), 0o644)
	bc2, _ := BuildContext(ContextSpec{Dir: dir, Dockerfile: "Dockerfile"})
	if _, err := Build(ctx, cli, BuildSpec{Context: bytes.NewReader(bc2.Tar), Dockerfile: "Dockerfile"}, nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("failing build: %v", err)
	}

	// Pushing to a registry nobody serves fails from the stream.
	dead := "127.0.0.1:5999/tpuci-test/hello:v0.5.3-amd64"
	if _, err := Push(ctx, cli, res.ID, dead, "", nil); err == nil || !strings.Contains(err.Error(), "5999") {
		t.Errorf("push to a dead registry: %v", err)
	}
	_, _ = cli.ImageRemove(context.Background(), dead, image.RemoveOptions{})
	if !needs.RegistryUp() {
		needs.Missing(t, "no registry on 127.0.0.1:5000 (scripts/ci-services.sh starts one): push not tested")
	}
	ref := fmt.Sprintf("127.0.0.1:5000/tpuci-test/hello:v0.5.3-amd64-%d", time.Now().UnixNano())
	p, err := Push(ctx, cli, res.ID, ref, "", nil)
	if err != nil || !strings.HasPrefix(p.Digest, "sha256:") {
		t.Errorf("push: %+v %v", p, err)
	}
	_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{})
}
