package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sgl-project/tpuci/internal/needs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/sgl-project/tpuci/internal/release/dockerimg"
	"github.com/sgl-project/tpuci/internal/release/manifest"
	"github.com/sgl-project/tpuci/internal/release/pypi/pypitest"
)

const (
	pypiWorkflow    = "release-pypi.yml"
	dockerWorkflow  = "release-docker.yml"
	nightlyImageWf  = "release-docker-nightly.yml"
	official        = "sgl-project/sglang-jax"
	pypiToken       = "pypi-act-token"
	exampleDistName = "sgl-jax-example"
)

// releaseClone is the fixture on branch with SGLang-JAX's official
// repository in [release] (the example names one that never runs).
func releaseClone(t *testing.T, branch string) string {
	t.Helper()
	dir := clone(t, branch)
	toml := rewrite(t, dir, "tpuci.toml", `official_repo = "sgl-project/sgl-jax-example"`, `official_repo = "`+official+`"`)
	change(t, dir, "release from "+official, map[string]string{"tpuci.toml": toml})
	return dir
}

// statusData is a data repository whose nightly status record (as the
// nightly jobs write it) says state, updated now.
func statusData(t *testing.T, state string) string {
	t.Helper()
	bare := dataRepo(t)
	work := filepath.Join(t.TempDir(), "seed")
	if err := git(".", "clone", "-q", bare, work); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	st := map[string]any{"schema_version": 1, "updated_at": now, "run_id": "101", "status": state,
		"conclusion": map[bool]string{true: "success", false: "failure"}[state == "healthy"], "night": now[:10],
		"latest_successful_nightly": map[string]any{"run_id": "101", "completed_at": now}}
	data, _ := json.MarshalIndent(st, "", "  ")
	change(t, work, "nightly status "+state, map[string]string{"nightly/nightly-status.json": string(data)})
	if err := git(work, "push", "-q", "origin", "HEAD:refs/heads/main"); err != nil {
		t.Fatal(err)
	}
	return bare
}

// releaseRun runs a release workflow of the official repository.
func releaseRun(t *testing.T, dir, workflow, event string, payload map[string]any, data string, env map[string]string) run {
	e := map[string]string{"GITHUB_REPOSITORY": official}
	for k, v := range env {
		e[k] = v
	}
	payload["repository"] = map[string]any{"full_name": official, "default_branch": "main"}
	return run{Dir: dir, Workflow: workflow, Event: event, Payload: payload, Env: e,
		Artifacts: filepath.Join(t.TempDir(), "artifacts"),
		Vars:      map[string]string{"TPUCI_NIGHTLY_GIT": data},
		Secrets:   map[string]string{"GH_PAT_FOR_NIGHTLY_CI_DATA": "ghp-data-token", "PYPI_TOKEN": pypiToken}}
}

// dispatch is a workflow_dispatch payload on branch; act reads the
// inputs from it, as GitHub does.
func dispatch(t *testing.T, dir, branch string, inputs map[string]any) map[string]any {
	return map[string]any{"ref": "refs/heads/" + branch, "after": rev(t, dir, "HEAD"), "inputs": inputs}
}

// index starts the fake PyPI on loopback for one test.
func index(t *testing.T) *pypitest.Index {
	t.Helper()
	ix, err := pypitest.Start(pypiToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ix.Close)
	return ix
}

// dockerServices skips (fails under CI=true) without the engine and the
// registry on 127.0.0.1:5000, and returns a fresh image name whose tags,
// local and in the registry, are removed when the test ends.
func dockerServices(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, _, err := dockerimg.Connect(ctx)
	var no *dockerimg.NoEngineError
	if errors.As(err, &no) || (err == nil && !needs.RegistryUp()) {
		msg := "no Docker engine, or no registry on 127.0.0.1:5000: bash scripts/ci-services.sh starts both"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	repo := fmt.Sprintf("tpuci-test/act-%d", time.Now().UnixNano())
	img := "127.0.0.1:5000/" + repo
	t.Cleanup(func() {
		defer cli.Close()
		ctx := context.Background()
		deleteFromRegistry(t, repo)
		list, _ := cli.ImageList(ctx, image.ListOptions{})
		for _, im := range list {
			for _, tag := range im.RepoTags {
				if strings.HasPrefix(tag, img+":") {
					_, _ = cli.ImageRemove(ctx, tag, image.RemoveOptions{Force: true, PruneChildren: true})
				}
			}
		}
	})
	return img
}

// deleteFromRegistry deletes every manifest a test pushed to repo.
func deleteFromRegistry(t *testing.T, repo string) {
	tags, _ := manifest.Tags(context.Background(), manifest.Registry{}, "127.0.0.1:5000/"+repo)
	c := http.Client{Timeout: 10 * time.Second}
	for _, tag := range tags {
		req, _ := http.NewRequest(http.MethodHead, "http://127.0.0.1:5000/v2/"+repo+"/manifests/"+tag, nil)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
		resp, err := c.Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		d := resp.Header.Get("Docker-Content-Digest")
		if d == "" {
			continue
		}
		del, _ := http.NewRequest(http.MethodDelete, "http://127.0.0.1:5000/v2/"+repo+"/manifests/"+d, nil)
		if resp, err := c.Do(del); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNotFound {
				t.Logf("registry cleanup: DELETE %s@%s: %s", repo, d, resp.Status)
			}
		}
	}
}

// tagDigests reads the digests of an image's tags in the registry.
func tagDigests(t *testing.T, img string, tags ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tag := range tags {
		d, found, err := manifest.Digest(context.Background(), manifest.Registry{}, img+":"+tag)
		if err != nil || !found {
			t.Errorf("%s:%s is not in the registry (%v)", img, tag, err)
		}
		out[tag] = d
	}
	return out
}

func registryTags(t *testing.T, img string) []string {
	t.Helper()
	tags, _ := manifest.Tags(context.Background(), manifest.Registry{}, img)
	return tags
}

// On a feature branch of the official repository: a dry run builds and
// smoke-tests the package and the image and publishes nothing; without
// the dry run, the PyPI and nightly Docker workflows refuse to publish
// from the branch before building anything.
func TestReleaseDryRunOnFeatureBranch(t *testing.T) {
	t.Parallel()
	img := dockerServices(t)
	ix := index(t)
	dir := releaseClone(t, "feature")
	data := statusData(t, "healthy")
	env := map[string]string{"TPUCI_PYPI_REPOSITORY": ix.Upload, "TPUCI_RELEASE_IMAGE": img}

	dryRun := map[string]any{"dry_run": "true"}
	r := releaseRun(t, dir, pypiWorkflow, "workflow_dispatch", dispatch(t, dir, "feature", dryRun), data, env)
	res := r.do(t)
	res.expect(t, map[string]string{"publish": "succeeded"})
	res.contains(t, "publish", "dry run: "+"TPUCI_RELEASE_DRY_RUN is set", "dry run: would upload sgl_jax_example-0.1.0-py3-none-any.whl")

	r = releaseRun(t, dir, pypiWorkflow, "workflow_dispatch", dispatch(t, dir, "feature", nil), data, env)
	res = r.do(t)
	res.expect(t, map[string]string{"publish": "failed"})
	res.contains(t, "publish", "publishing refused: refs/heads/feature is neither refs/heads/main")

	r = releaseRun(t, dir, dockerWorkflow, "workflow_dispatch", dispatch(t, dir, "feature", dryRun), data, env)
	res = r.do(t)
	res.expect(t, map[string]string{"publish": "succeeded"})
	res.contains(t, "publish", "dry run: would push image", "printed 0.1.0")

	r = releaseRun(t, dir, nightlyImageWf, "workflow_dispatch", dispatch(t, dir, "feature", nil), data, env)
	res = r.do(t)
	res.expect(t, map[string]string{"publish": "failed"})
	res.contains(t, "publish", "publishing refused: refs/heads/feature")

	if n := len(ix.Files(exampleDistName, "0.1.0")); n != 0 || ix.Uploads() != 0 {
		t.Errorf("a refused or dry run uploaded %d files", n)
	}
	if tags := registryTags(t, img); len(tags) != 0 {
		t.Errorf("a refused or dry run pushed %v", tags)
	}
}

// A version bump pushed to main of the official repository, with a
// healthy nightly status in the data repository: the PyPI workflow
// uploads to the index on loopback and the Docker workflow pushes the
// smoke-tested image and its lists to the registry on 127.0.0.1:5000;
// re-running either changes no published byte. The nightly Docker
// workflow then publishes the -nightly tags and leaves latest alone. The
// build context the engine received holds no .git.
func TestReleaseOnMainPublishes(t *testing.T) {
	t.Parallel()
	img := dockerServices(t)
	ix := index(t)
	dir := releaseClone(t, "main")
	before := rev(t, dir, "HEAD")
	after := change(t, dir, "release 0.2.0", map[string]string{"python/sgl_jax/version.py": "__version__ = \"0.2.0\"\n"})
	data := statusData(t, "healthy")
	env := map[string]string{"TPUCI_PYPI_REPOSITORY": ix.Upload, "TPUCI_RELEASE_IMAGE": img}
	push := map[string]any{"ref": "refs/heads/main", "before": before, "after": after}

	r := releaseRun(t, dir, pypiWorkflow, "push", push, data, env)
	var published map[string]string
	for attempt := 1; attempt <= 2; attempt++ {
		res := r.do(t)
		res.expect(t, map[string]string{"publish": "succeeded"})
		res.contains(t, "publish", "status record from "+data, "nightly gate: pass")
		files := map[string]string{}
		for _, f := range ix.Files(exampleDistName, "0.2.0") {
			files[f.Filename] = f.SHA256
		}
		if len(files) != 2 || ix.Uploads() != 2 {
			t.Fatalf("attempt %d: the index holds %v after %d uploads", attempt, files, ix.Uploads())
		}
		if attempt == 1 {
			published = files
			res.contains(t, "publish", "(the index records the same)")
		} else {
			res.contains(t, "publish", "already published")
			if fmt.Sprint(files) != fmt.Sprint(published) {
				t.Errorf("the re-run changed the index: %v -> %v", published, files)
			}
		}
		if strings.Contains(res.Log, pypiToken) || strings.Contains(res.Log, "ghp-data-token") {
			t.Errorf("attempt %d: a token is in the log", attempt)
		}
	}

	r = releaseRun(t, dir, dockerWorkflow, "push", push, data, env)
	var digests map[string]string
	for attempt := 1; attempt <= 2; attempt++ {
		res := r.do(t)
		res.expect(t, map[string]string{"publish": "succeeded"})
		got := tagDigests(t, img, "v0.2.0-amd64", "v0.2.0", "latest")
		if attempt == 1 {
			digests = got
			res.contains(t, "publish", "printed 0.2.0", "nightly gate: pass")
			noGitInContext(t, filepath.Join(r.Artifacts, "tpuci-release-docker", "release", "docker", "context.tar"))
		} else {
			res.contains(t, "publish", "resuming with it, not rebuilt")
			if fmt.Sprint(got) != fmt.Sprint(digests) {
				t.Errorf("the re-run moved tags: %v -> %v", digests, got)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	r = releaseRun(t, dir, nightlyImageWf, "schedule", map[string]any{"schedule": "0 0 * * *"}, data, env)
	res := r.do(t)
	res.expect(t, map[string]string{"publish": "succeeded"})
	tagDigests(t, img, "v0.2.0-nightly-amd64", "v0.2.0-nightly", "nightly")
	if got := tagDigests(t, img, "latest", "v0.2.0"); got["latest"] != digests["latest"] || got["v0.2.0"] != digests["v0.2.0"] {
		t.Errorf("the nightly moved a release tag: %v -> %v", digests, got)
	}
}

// noGitInContext checks the build context the engine received.
func noGitInContext(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("build context: %v", err)
		return
	}
	defer f.Close()
	names, err := tarNames(f)
	if err != nil || len(names) == 0 {
		t.Errorf("build context %s: %v", path, err)
	}
	for _, n := range names {
		if n == ".git" || strings.HasPrefix(n, ".git/") || strings.Contains(n, "/.git/") {
			t.Errorf("the build context holds %s", n)
		}
	}
}
