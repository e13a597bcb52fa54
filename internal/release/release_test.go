package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sgl-project/tpuci/internal/compare/comparetest"
	"github.com/sgl-project/tpuci/internal/example"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/release/dockerimg"
	"github.com/sgl-project/tpuci/internal/release/manifest"
	"github.com/sgl-project/tpuci/internal/release/pypi/pypitest"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// fixture is the bundled example in a temporary directory plus the
// environment a release target sees.
type fixture struct {
	t    *testing.T
	repo string
	env  map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	repo, err := example.Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, repo: repo, env: map[string]string{
		"TPUCI_REPO": repo, "TPUCI_OUT": filepath.Join(t.TempDir(), "out"), "TPUCI_CHIPS": "0",
		"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "github-output"),
		"HOME":          os.Getenv("HOME"), "PATH": os.Getenv("PATH"),
	}}
	return f
}

// publishing makes the run look like the example's official CI on main.
func (f *fixture) publishing() {
	f.env["CI"] = "true"
	f.env["GITHUB_REPOSITORY"] = "sgl-project/sgl-jax-example"
	f.env["GITHUB_REF"] = "refs/heads/main"
	f.env["TPUCI_NIGHTLY_STATUS"] = f.status("healthy", time.Now())
}

func (f *fixture) status(state string, at time.Time) string {
	st := map[string]any{"schema_version": 1, "updated_at": at.UTC().Format(time.RFC3339), "run_id": "7", "status": state,
		"conclusion":                map[bool]string{true: "success", false: "failure"}[state == "healthy"],
		"latest_successful_nightly": map[string]any{"run_id": "7", "completed_at": at.UTC().Format(time.RFC3339)}}
	data, _ := json.Marshal(st)
	p := filepath.Join(f.t.TempDir(), "nightly-status.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// run executes a body the way targets.Run does, returning the stage,
// its stdout and the body's error.
func (f *fixture) run(ctx context.Context, target string, body pipeline.Body) (*report.TargetResult, string, error) {
	f.t.Helper()
	getenv := func(k string) string { return f.env[k] }
	ws, err := workspace.Resolve(getenv, f.repo)
	if err != nil {
		f.t.Fatal(err)
	}
	var out, log bytes.Buffer
	st := &pipeline.Stage{TargetResult: &report.TargetResult{Target: target, LogDir: ws.LogDir(target)}, GH: ghactions.FromEnv(getenv, &out), Out: &out, Log: &log}
	err = body(ctx, ws, st)
	f.t.Logf("%s log:\n%s", target, log.String())
	return st.TargetResult, out.String(), err
}

func caseOf(st *report.TargetResult, name string) report.Case {
	for _, c := range st.Cases {
		if c.Name == name {
			return c
		}
	}
	return report.Case{}
}

func tableText(st *report.TargetResult) string {
	var b strings.Builder
	for _, t := range st.Tables {
		for _, r := range t.Rows {
			b.WriteString(strings.Join(r, " | ") + "\n")
		}
	}
	return b.String()
}

func TestVersionTarget(t *testing.T) {
	f := newFixture(t)
	_, out, err := f.run(context.Background(), "release:version", Version)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"version:    0.1.0", "tag:        v0.1.0", "prerelease: false", "latest:     true",
		"push       127.0.0.1:5000/sgl-jax-example:v0.1.0-amd64", "list       127.0.0.1:5000/sgl-jax-example:latest",
		"upload     sgl_jax_example-0.1.0.tar.gz", "publish:    false (dry run: outside CI"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	outputs, _ := os.ReadFile(f.env["GITHUB_OUTPUT"])
	for _, want := range []string{"version=0.1.0\n", "tag=v0.1.0\n", "is_prerelease=false\n", "update_latest=true\n", "publish=false\n"} {
		if !strings.Contains(string(outputs), want) {
			t.Errorf("GitHub outputs lack %q:\n%s", want, outputs)
		}
	}

	// A nightly: its own tags, never latest.
	f.env["TPUCI_RELEASE_CHANNEL"] = "nightly"
	f.env["TPUCI_RELEASE_DATE"] = "20261127"
	_, out, err = f.run(context.Background(), "release:version", Version)
	if err != nil || !strings.Contains(out, ":v0.1.0-nightly-20261127") || !strings.Contains(out, "latest:     false (a nightly never moves latest)") {
		t.Errorf("nightly: %v\n%s", err, out)
	}

	// A refused publish is reported, not fatal, for release:version.
	delete(f.env, "TPUCI_RELEASE_CHANNEL")
	f.env["TPUCI_RELEASE_PUBLISH"] = "1"
	f.env["GITHUB_REPOSITORY"] = "someone/fork"
	_, out, err = f.run(context.Background(), "release:version", Version)
	if err != nil || !strings.Contains(out, "refused: guard: publishing refused: GITHUB_REPOSITORY=someone/fork") {
		t.Errorf("refused: %v\n%s", err, out)
	}

	// A local version in the version file is refused with its location.
	vf := filepath.Join(f.repo, "python/sgl_jax/version.py")
	_ = os.WriteFile(vf, []byte("__version__ = \"0.1.0+local\"\n"), 0o644)
	if _, _, err := f.run(context.Background(), "release:version", Version); err == nil || !strings.Contains(err.Error(), "python/sgl_jax/version.py:1") {
		t.Errorf("local version: %v", err)
	}
}

func TestPyPIGateRefusesBeforeBuilding(t *testing.T) {
	f := newFixture(t)
	f.publishing()
	f.env["TPUCI_NIGHTLY_STATUS"] = f.status("unhealthy", time.Now())
	st, _, err := f.run(context.Background(), "release:pypi", PyPI)
	if err == nil || !strings.Contains(err.Error(), "nightly tests are not healthy") {
		t.Fatalf("err = %v", err)
	}
	if c := caseOf(st, "build"); c.Name != "" {
		t.Error("built despite the closed gate")
	}
	// A fork asking to publish is refused outright.
	f.env["GITHUB_REPOSITORY"] = "someone/fork"
	f.env["TPUCI_RELEASE_PUBLISH"] = "1"
	if _, _, err := f.run(context.Background(), "release:pypi", PyPI); err == nil || !strings.Contains(err.Error(), "not the official repository") {
		t.Errorf("fork: %v", err)
	}
	// A justification that explains nothing is refused.
	f.env["GITHUB_REPOSITORY"] = "sgl-project/sgl-jax-example"
	f.env["TPUCI_RELEASE_OVERRIDE"] = "yes"
	if _, _, err := f.run(context.Background(), "release:pypi", PyPI); err == nil || !strings.Contains(err.Error(), "written justification") {
		t.Errorf("override 'yes': %v", err)
	}
}

func requireBuildTools(t *testing.T, err error) {
	t.Helper()
	var miss *pipeline.MissingTool
	if errors.As(err, &miss) {
		needs.Missing(t, err)
	}
}

// TestPyPIPublish builds the example with Debian's Python, smoke-installs
// it and uploads it to a PyPI-compatible index on 127.0.0.1; then a dry
// run and an emergency override.
func TestPyPIPublish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	ix, err := pypitest.Start("pypi-example-token")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	f := newFixture(t)
	f.publishing()
	f.env["TPUCI_PYPI_REPOSITORY"] = ix.Upload
	f.env["PYPI_TOKEN"] = "pypi-example-token"
	f.env["GITHUB_ACTIONS"] = "true"
	st, out, err := f.run(ctx, "release:pypi", PyPI)
	requireBuildTools(t, err)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(ix.Files("sgl-jax-example", "0.1.0")); n != 2 {
		t.Errorf("index holds %d files", n)
	}
	for _, name := range []string{"build", "twine check", "smoke install", "index before upload", "upload", "verify"} {
		if c := caseOf(st, name); c.Status != report.Passed {
			t.Errorf("case %q: %+v", name, c)
		}
	}
	if !strings.Contains(out, "::add-mask::pypi-example-token") {
		t.Error("the token was not masked")
	}
	if strings.Count(out, "pypi-example-token") != 1 {
		t.Errorf("the token appears outside its mask command:\n%s", out)
	}
	if !strings.Contains(tableText(st), "the index records the same") {
		t.Errorf("tables:\n%s", tableText(st))
	}

	// A retry of the completed release rebuilds the same bytes (stamped
	// with the release commit's time), so it passes without changing the
	// index.
	published := fmt.Sprint(ix.Files("sgl-jax-example", "0.1.0"))
	st, out, err = f.run(ctx, "release:pypi", PyPI)
	if err != nil {
		t.Fatalf("retry: %v\n%s", err, out)
	}
	if got := fmt.Sprint(ix.Files("sgl-jax-example", "0.1.0")); got != published {
		t.Errorf("the retry changed the index:\n%s\n%s", published, got)
	}
	if c := caseOf(st, "index before upload"); !strings.Contains(c.Message, "on the index already with the same bytes: nothing to upload") {
		t.Errorf("retry: %+v", c)
	}

	// Dry run (not CI): builds and smoke-tests, uploads nothing.
	g := newFixture(t)
	g.env["TPUCI_PYPI_REPOSITORY"] = ix.Upload
	before := ix.Uploads()
	st, out, err = g.run(ctx, "release:pypi", PyPI)
	if err != nil || ix.Uploads() != before || !strings.Contains(out, "dry run: would upload sgl_jax_example-0.1.0-py3-none-any.whl") {
		t.Errorf("dry run: %v (uploads %d -> %d)\n%s", err, before, ix.Uploads(), out)
	}
	if caseOf(st, "smoke install").Status != report.Passed {
		t.Error("dry run skipped the smoke install")
	}

	// Emergency override of an unhealthy nightly: publishes, and records why.
	fresh, err := pypitest.Start("pypi-example-token")
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	f.env["TPUCI_PYPI_REPOSITORY"] = fresh.Upload
	f.env["TPUCI_NIGHTLY_STATUS"] = f.status("unhealthy", time.Now())
	why := "security fix for CVE-2026-0001; nightly outage is an infra issue (#42)"
	f.env["TPUCI_RELEASE_OVERRIDE"] = why
	st, _, err = f.run(ctx, "release:pypi", PyPI)
	if err != nil || len(fresh.Files("sgl-jax-example", "0.1.0")) != 2 {
		t.Fatalf("override: %v", err)
	}
	if tt := tableText(st); !strings.Contains(tt, "override justification | "+why) || !strings.Contains(tt, "nightly gate | emergency") {
		t.Errorf("the override is not recorded:\n%s", tt)
	}
}

// TestDockerRelease builds the example image with the real engine (on
// tpuci's debian-python base), smoke-runs it, pushes it to the registry on
// 127.0.0.1:5000 and writes the manifest lists; then checks the existing
// tag guard, the layer cache and the nightly tags.
func TestDockerRelease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
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
	if !needs.RegistryUp() {
		needs.Missing(t, "no registry on 127.0.0.1:5000 (scripts/ci-services.sh starts one)")
	}
	needs.Tool(t, "mmdebstrap") // the debian-python base, on a machine that lacks it
	img := fmt.Sprintf("127.0.0.1:5000/tpuci-test/sgl-jax-example-%d", time.Now().UnixNano())
	reg := manifest.Registry{}
	t.Cleanup(func() {
		for _, tag := range []string{"tpuci-cache-release", "tpuci-cache-nightly", "v0.1.0-amd64", "v0.1.0-nightly-amd64", "latest", "nightly"} {
			_, _ = cli.ImageRemove(context.Background(), img+":"+tag, image.RemoveOptions{Force: true, PruneChildren: true})
		}
		// What the test pushed leaves the registry too.
		tags, err := manifest.Tags(context.Background(), reg, img)
		for _, tag := range tags {
			if derr := manifest.Delete(context.Background(), reg, img+":"+tag); derr != nil {
				err = derr
			}
		}
		if tags, _ := manifest.Tags(context.Background(), reg, img); err != nil || len(tags) > 0 {
			t.Errorf("registry clean-up: %v, tags left: %v", err, tags)
		}
	})

	// 1. Dry run: builds and smoke-tests, pushes nothing.
	f := newFixture(t)
	f.env["TPUCI_RELEASE_IMAGE"] = img
	twoArches(t, f.repo)
	st, out, err := f.run(ctx, "release:docker", Docker)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if c := caseOf(st, "smoke"); c.Status != report.Passed || !strings.Contains(c.Message, "printed 0.1.0") {
		t.Errorf("smoke: %+v", c)
	}
	if !strings.Contains(out, "dry run: would push image") {
		t.Errorf("dry-run output:\n%s", out)
	}
	if tags, _ := manifest.Tags(ctx, reg, img); len(tags) != 0 {
		t.Fatalf("a dry run pushed %v", tags)
	}

	// 2. Publish with two arches: the smoke-tested image goes out as
	// v0.1.0-amd64; the lists wait for the arm64 image, which is missing.
	f.publishing()
	st, out, err = f.run(ctx, "release:docker", Docker)
	if err == nil || !strings.Contains(err.Error(), "v0.1.0-arm64") {
		t.Fatalf("publish without the arm64 image: %v\n%s", err, out)
	}
	if c := caseOf(st, "build"); !strings.Contains(c.Message, "from the layer cache") || strings.Contains(c.Message, " 0 from the layer cache") {
		t.Errorf("the second build reused no layers: %s", c.Message)
	}
	pushed := caseOf(st, "push").Message
	ii, err := cli.ImageInspect(ctx, img+":v0.1.0-amd64")
	if err != nil || !contains(ii.RepoDigests, img+"@"+pushed) {
		t.Errorf("pushed digest %s is not the local image's (%v, %v)", pushed, ii.RepoDigests, err)
	}
	if ii.Config.Labels["org.opencontainers.image.version"] != "0.1.0" || ii.Config.Labels["org.opencontainers.image.created"] == "" {
		t.Errorf("labels: %v", ii.Config.Labels)
	}
	if _, found, _ := manifest.Digest(ctx, reg, img+":v0.1.0"); found {
		t.Error("a list was written without the arm64 image")
	}

	// 3. Once the arm64 job has pushed, a rerun resumes: it reuses the
	// pushed amd64 image by digest (no build, no push) and writes the lists.
	pushArch(t, img+":v0.1.0-arm64", "arm64")
	st, out, err = f.run(ctx, "release:docker", Docker)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if c := caseOf(st, "build"); !strings.Contains(c.Message, "skipped: "+img+":v0.1.0-amd64 "+pushed+" is reused") {
		t.Errorf("resume rebuilt: %+v", c)
	}
	vd, _, _ := manifest.Digest(ctx, reg, img+":v0.1.0")
	ld, _, _ := manifest.Digest(ctx, reg, img+":latest")
	ad, _, _ := manifest.Digest(ctx, reg, img+":v0.1.0-amd64")
	if vd == "" || vd != ld || ad != pushed {
		t.Errorf("v0.1.0 %s, latest %s, amd64 %s (pushed %s)", vd, ld, ad, pushed)
	}
	plats, err := manifest.Platforms(ctx, reg, img+":v0.1.0")
	if err != nil || strings.Join(plats, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms: %v %v", plats, err)
	}
	var rec struct {
		Plan      struct{ Push string }
		Published [][]string
	}
	data, err := os.ReadFile(filepath.Join(f.env["TPUCI_OUT"], "release", "release-docker.json"))
	if err != nil || json.Unmarshal(data, &rec) != nil || rec.Plan.Push != img+":v0.1.0-amd64" || len(rec.Published) != 3 {
		t.Errorf("record: %v %s", err, data)
	}

	// 4. Running the completed release again passes without changing a
	// published byte.
	st, out, err = f.run(ctx, "release:docker", Docker)
	if err != nil {
		t.Fatalf("re-run of a completed release: %v\n%s", err, out)
	}
	for tag, want := range map[string]string{"v0.1.0": vd, "latest": ld, "v0.1.0-amd64": pushed} {
		if d, _, _ := manifest.Digest(ctx, reg, img+":"+tag); d != want {
			t.Errorf("%s moved: %s -> %s", tag, want, d)
		}
	}
	if !strings.Contains(caseOf(st, "manifest lists").Message, vd) || !strings.Contains(tableText(st), "already there; not rewritten") {
		t.Errorf("re-run:\n%s", tableText(st))
	}

	// 5. Another commit releasing the same version is refused: release
	// tags are immutable.
	g := newFixture(t)
	g.env["TPUCI_RELEASE_IMAGE"] = img
	twoArches(t, g.repo)
	// The example's history is the same everywhere: change it.
	if err := os.WriteFile(filepath.Join(g.repo, "NOTICE"), []byte("another commit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	comparetest.Git(t, g.repo, "add", "NOTICE")
	comparetest.Git(t, g.repo, "commit", "-q", "-m", "another commit")
	g.publishing()
	_, _, err = g.run(ctx, "release:docker", Docker)
	if err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Errorf("re-release from another commit: %v", err)
	}

	// 6. A nightly: its own tags and version label; latest and v0.1.0 stay.
	f.env["TPUCI_RELEASE_CHANNEL"] = "nightly"
	f.env["TPUCI_RELEASE_DATE"] = "20261127"
	pushArch(t, img+":v0.1.0-nightly-arm64", "arm64")
	_, out, err = f.run(ctx, "release:docker", Docker)
	if err != nil {
		t.Fatalf("nightly: %v\n%s", err, out)
	}
	for _, tag := range []string{"v0.1.0-nightly-amd64", "v0.1.0-nightly", "nightly", "v0.1.0-nightly-20261127"} {
		if _, found, err := manifest.Digest(ctx, reg, img+":"+tag); !found || err != nil {
			t.Errorf("nightly tag %s: %v %v", tag, found, err)
		}
	}
	if _, labels, _, err := manifest.Labels(ctx, reg, img+":v0.1.0-nightly-amd64"); err != nil || labels["org.opencontainers.image.version"] != "0.1.0-nightly-20261127" {
		t.Errorf("nightly version label: %v %v", labels, err)
	}
	if d, _, _ := manifest.Digest(ctx, reg, img+":latest"); d != ld {
		t.Errorf("the nightly moved latest: %s -> %s", ld, d)
	}
	if d, _, _ := manifest.Digest(ctx, reg, img+":v0.1.0"); d != vd {
		t.Errorf("the nightly moved v0.1.0: %s -> %s", vd, d)
	}
}

// twoArches makes the example's release list amd64 and arm64.
func twoArches(t *testing.T, repo string) {
	t.Helper()
	p := filepath.Join(repo, "tpuci.toml")
	data, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(data), `arches = ["amd64"]`) {
		t.Fatalf("example config: %v", err)
	}
	os.WriteFile(p, []byte(strings.Replace(string(data), `arches = ["amd64"]`, `arches = ["amd64", "arm64"]`, 1)), 0o644)
}

// pushArch pushes a small linux/<arch> image, as another arch's job would.
func pushArch(t *testing.T, ref, arch string) {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
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

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// The gate reads the status record from the nightly data repository
// (TPUCI_NIGHTLY_GIT) unless TPUCI_NIGHTLY_STATUS names the status
// itself; "none" falls back to [release].nightly_status.
func TestGateStatusSource(t *testing.T) {
	f := newFixture(t)
	resolve := func() Settings {
		t.Helper()
		ws, err := workspace.Resolve(func(k string) string { return f.env[k] }, f.repo)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Resolve(ws)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.env["TPUCI_NIGHTLY_GIT"] = "https://example.invalid/sgl-jax-ci-data.git"
	f.env["TPUCI_NIGHTLY_GIT_TOKEN"] = "ghp-x"
	s := resolve()
	if s.StatusRepo == nil || s.StatusRepo.URL != "https://example.invalid/sgl-jax-ci-data.git" || s.StatusRepo.Token != "ghp-x" ||
		s.Status != filepath.Join(s.StatusRepo.Dir, "nightly", "nightly-status.json") {
		t.Errorf("data repository: %+v, status %s", s.StatusRepo, s.Status)
	}
	f.env["TPUCI_NIGHTLY_STATUS"] = "/tmp/status.json"
	if s := resolve(); s.StatusRepo != nil || s.Status != "/tmp/status.json" {
		t.Errorf("TPUCI_NIGHTLY_STATUS: %+v, %s", s.StatusRepo, s.Status)
	}
	delete(f.env, "TPUCI_NIGHTLY_STATUS")
	f.env["TPUCI_NIGHTLY_GIT"] = "none"
	if s := resolve(); s.StatusRepo != nil || s.Status != filepath.Join(f.repo, "ci", "nightly-status.json") {
		t.Errorf("none: %+v, %s", s.StatusRepo, s.Status)
	}
}
