package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bitfield/script"

	tpudocker "github.com/sgl-project/tpuci/docker"
	"github.com/sgl-project/tpuci/internal/debian"
	"github.com/sgl-project/tpuci/internal/release/debbase"
	"github.com/sgl-project/tpuci/internal/release/dockerimg"
	"github.com/sgl-project/tpuci/internal/release/guard"
	"github.com/sgl-project/tpuci/internal/release/manifest"
	"github.com/sgl-project/tpuci/internal/release/plan"
	"github.com/sgl-project/tpuci/internal/textline"
)

// injectedDockerfile is where tpuci's own recipe goes in a context whose
// repository has no Dockerfile.
const injectedDockerfile = ".tpuci/Dockerfile"

// docker builds the image once, smoke-runs that image ID, pushes the
// same ID as the per-arch tag and writes the manifest lists; in a dry run
// it stops after the smoke test and prints what it would publish.
func (r *run) docker(ctx context.Context) error {
	eng, closeEngine, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer closeEngine()
	var auth string
	if err := r.step("registry", func() (string, error) {
		msg, err := r.readRegistry(ctx)
		if err != nil {
			return "", err
		}
		if auth, err = r.cred.EngineAuth(); err != nil {
			return "", err
		}
		return msg, nil
	}); err != nil {
		return err
	}
	if err := r.makePlan(true, false); err != nil {
		return err
	}
	defer r.summary()
	if err := r.guards(ctx); err != nil {
		return err
	}
	var reuse string // digest of this arch's image, pushed by an earlier run of this release
	if err := r.step("existing tags", func() (string, error) {
		var err error
		reuse, err = r.existing(ctx, r.reg)
		return r.existingMsg, err
	}); err != nil {
		return err
	}
	if reuse != "" && r.decision.Publish {
		return r.resume(ctx, r.reg, reuse)
	}
	built, err := r.buildAndSmoke(ctx, eng, auth)
	if err != nil {
		return err
	}
	if !r.decision.Publish {
		r.publishRow("push", r.plan.Push, "dry run: would push image "+dockerimg.ShortID(built.ID))
		for _, l := range r.plan.Lists {
			r.publishRow("list", l, "dry run: would write from "+strings.Join(r.plan.ArchTags, ", "))
		}
		return nil
	}
	pushed, err := r.push(ctx, eng, built, auth)
	if err != nil {
		return err
	}
	return r.lists(ctx, r.reg, pushed.Digest)
}

// connect reaches the Docker engine; the function returned closes the
// connection.
func (r *run) connect(ctx context.Context) (dockerimg.Engine, func(), error) {
	var eng dockerimg.Engine
	var conn interface{ Close() error }
	err := r.step("engine", func() (string, error) {
		cli, ping, err := dockerimg.Connect(ctx)
		if err != nil {
			return "", err
		}
		eng, conn = cli, cli
		return fmt.Sprintf("%s (API %s, %s)", cli.DaemonHost(), ping.APIVersion, ping.OSType), nil
	})
	if err != nil {
		return nil, nil, err
	}
	return eng, func() { _ = conn.Close() }, nil
}

// buildAndSmoke builds the image and runs the smoke command in it.
func (r *run) buildAndSmoke(ctx context.Context, eng dockerimg.Engine, auth string) (built dockerimg.BuildResult, err error) {
	if err := r.step("build", func() (string, error) {
		var err error
		built, err = r.build(ctx, eng, auth)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s, %d steps, %d from the layer cache", dockerimg.ShortID(built.ID), built.Steps, built.CacheHits), nil
	}); err != nil {
		return built, err
	}
	return built, r.step("smoke", func() (string, error) {
		cmd := r.s.SmokeCommand
		if len(cmd) == 0 {
			return "", fmt.Errorf("docker: no [release].smoke_command: the image must prove it holds version %s", r.plan.Version)
		}
		res, err := dockerimg.Smoke(ctx, eng, dockerimg.SmokeSpec{Image: built.ID, Command: cmd, Want: r.found.Version, Timeout: r.s.SmokeTimeout})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s printed %s", strings.Join(cmd, " "), strings.TrimSpace(textline.Last(res.Stdout+res.Stderr))), nil
	})
}

// push pushes the smoke-tested image ID as this arch's tag.
func (r *run) push(ctx context.Context, eng dockerimg.Engine, built dockerimg.BuildResult, auth string) (pushed dockerimg.Pushed, err error) {
	err = r.step("push", func() (string, error) {
		log, path, err := r.logFile("push.log")
		if err != nil {
			return "", err
		}
		defer log.Close()
		pushed, err = dockerimg.Push(ctx, eng, built.ID, r.plan.Push, auth, log)
		if err != nil {
			return "", fmt.Errorf("%w (log: %s)", err, path)
		}
		r.publishRow("push", r.plan.Push, pushed.Digest+" (image "+dockerimg.ShortID(built.ID)+", smoke-tested)")
		return pushed.Digest, nil
	})
	return pushed, err
}

// existing checks this arch's release tag before anything is built and
// returns the digest to reuse when an earlier run of the same release
// pushed it (guard.ArchTag decides). The version list is checked when it
// is written: only the same list may be there already.
func (r *run) existing(ctx context.Context, reg manifest.Registry) (reuse string, err error) {
	have := guard.ArchImage{}
	if len(r.plan.Immutable) > 0 {
		var labels map[string]string
		have.Digest, labels, have.Found, err = manifest.Labels(ctx, reg, r.plan.Push)
		if err != nil {
			if r.decision.Publish {
				return "", err
			}
			r.existingMsg = "unknown (" + textline.First(err.Error()) + ")"
			return "", nil
		}
		have.Version, have.Revision = labels[labelVersion], labels[labelRevision]
	}
	ok, why, err := guard.ArchTag(r.plan, have, r.ws.Commit, r.decision.Force)
	switch {
	case err != nil && r.decision.Publish:
		return "", err
	case err != nil:
		r.existingMsg = "would refuse: " + err.Error()
		return "", nil
	case ok && !r.decision.Publish:
		r.existingMsg = "would resume: " + why
		return have.Digest, nil
	}
	r.existingMsg = why
	if ok {
		return have.Digest, nil
	}
	return "", nil
}

// resume finishes a release whose arch image is already pushed: it
// reuses that image by digest (no build, no push) and writes the lists.
func (r *run) resume(ctx context.Context, reg manifest.Registry, digest string) error {
	for _, name := range []string{"build", "smoke", "push"} {
		_ = r.step(name, func() (string, error) {
			return "skipped: " + r.plan.Push + " " + digest + " is reused (built and smoke-tested by the run that pushed it)", nil
		})
	}
	r.publishRow("push", r.plan.Push, digest+" (already pushed by this release; reused)")
	return r.lists(ctx, reg, digest)
}

// lists writes the manifest lists from every arch's tag; a list that is
// there already with the same content is left alone, and a release's
// version list that holds anything else is refused.
func (r *run) lists(ctx context.Context, reg manifest.Registry, pushed string) error {
	return r.step("manifest lists", func() (string, error) {
		archTags := map[string]string{}
		for i, a := range r.s.Arches {
			archTags[a] = r.plan.ArchTags[i]
		}
		var immutable []string
		if !r.decision.Force {
			immutable = r.plan.Immutable
		}
		res, err := manifest.PublishKeeping(ctx, reg, archTags, r.plan.Lists, immutable)
		if err != nil {
			return "", err
		}
		if got := res.Children[r.s.Arch]; got != pushed {
			return "", fmt.Errorf("manifest: the list's %s child is %s, but this run pushed %s (a concurrent push?)", r.s.Arch, got, pushed)
		}
		for _, t := range res.Tags {
			result := res.Digest
			if slices.Contains(res.Unchanged, t) {
				result += " (already there; not rewritten)"
			}
			r.publishRow("list", t, result)
		}
		return fmt.Sprintf("%s -> %s", strings.Join(res.Tags, ", "), res.Digest), nil
	})
}

// The OCI labels a release image carries.
const (
	labelVersion  = "org.opencontainers.image.version"
	labelRevision = "org.opencontainers.image.revision"
)

// build prepares the context (and the base recipe), reuses the previous
// image's layers and builds once.
func (r *run) build(ctx context.Context, eng dockerimg.Engine, auth string) (dockerimg.BuildResult, error) {
	log, path, err := r.logFile("build.log")
	if err != nil {
		return dockerimg.BuildResult{}, err
	}
	defer log.Close()
	platform := "linux/" + r.s.Arch
	args := map[string]string{}
	for k, v := range r.s.BuildArgs {
		args[k] = v
	}
	for _, a := range r.s.VersionArgs {
		args[a] = r.plan.Version
	}
	if r.s.BaseRecipe != "" {
		base, err := r.buildBase(ctx, eng, log)
		if err != nil {
			return dockerimg.BuildResult{}, fmt.Errorf("%w (log: %s)", err, path)
		}
		args["BASE_IMAGE"] = base
	}
	ctxFile, dockerfile, err := r.writeContext(log)
	if err != nil {
		return dockerimg.BuildResult{}, err
	}
	defer ctxFile.Close()
	cacheTag, cacheFrom := r.layerCache(ctx, eng, platform, auth, log)
	res, err := dockerimg.Build(ctx, eng, dockerimg.BuildSpec{Context: ctxFile, Dockerfile: dockerfile,
		Tags: []string{cacheTag}, BuildArgs: args, Labels: r.labels(), Platform: platform, CacheFrom: cacheFrom}, log)
	if err != nil {
		return res, fmt.Errorf("%w (log: %s)", err, path)
	}
	ii, err := dockerimg.Inspect(ctx, eng, res.ID)
	if err != nil {
		return res, err
	}
	if ii.Os != "linux" || ii.Architecture != r.s.Arch {
		return res, fmt.Errorf("docker: built %s/%s, want %s", ii.Os, ii.Architecture, platform)
	}
	if ii.Config == nil || ii.Config.Labels[labelVersion] != r.plan.ImageVersion {
		return res, fmt.Errorf("docker: the image lacks the label %s=%s", labelVersion, r.plan.ImageVersion)
	}
	return res, nil
}

// writeContext writes the build context to a file, rewound for reading,
// and returns it with the Dockerfile's path in it. The context goes
// through a file: a repository can be large, and the file shows
// afterwards exactly what the engine received.
func (r *run) writeContext(log io.Writer) (*os.File, string, error) {
	spec, err := r.contextSpec()
	if err != nil {
		return nil, "", err
	}
	ctxPath := filepath.Join(r.ws.Out, "release", "docker", "context.tar")
	if err := os.MkdirAll(filepath.Dir(ctxPath), 0o755); err != nil {
		return nil, "", fmt.Errorf("docker: %w", err)
	}
	ctxFile, err := os.Create(ctxPath)
	if err != nil {
		return nil, "", fmt.Errorf("docker: %w", err)
	}
	bc, err := dockerimg.WriteContext(spec, ctxFile)
	if err != nil {
		ctxFile.Close()
		return nil, "", err
	}
	if _, err := ctxFile.Seek(0, io.SeekStart); err != nil {
		ctxFile.Close()
		return nil, "", fmt.Errorf("docker: %w", err)
	}
	fmt.Fprintf(log, "context %s: %d files, %d bytes (%s); Dockerfile %s\n", spec.Dir, len(bc.Files), bc.Size, ctxPath, spec.Dockerfile)
	return ctxFile, spec.Dockerfile, nil
}

// layerCache returns the tag this build gets and the images whose layers
// it may reuse: the image this channel published last (pulled, when the
// registry has it) and the last local build of this channel.
func (r *run) layerCache(ctx context.Context, eng dockerimg.Engine, platform, auth string, log io.Writer) (string, []string) {
	cacheTag := r.s.Image + ":tpuci-cache-" + string(r.s.Channel)
	previous := r.s.Image + ":latest"
	if r.s.Channel == plan.Nightly {
		previous = r.s.Image + ":nightly"
	}
	if !r.ws.Settings.Release.SkipPull {
		if err := dockerimg.Pull(ctx, eng, previous, platform, auth, log); err != nil {
			fmt.Fprintf(log, "no previous image for the cache: %v\n", err)
		}
	}
	var cacheFrom []string
	for _, ref := range []string{cacheTag, previous} {
		if dockerimg.Exists(ctx, eng, ref) {
			cacheFrom = append(cacheFrom, ref)
		}
	}
	return cacheTag, cacheFrom
}

// labels are the image's OCI labels: version, revision, time, title and
// the source repository.
func (r *run) labels() map[string]string {
	source := r.ws.Settings.GitHub.ServerURL
	if source == "" {
		source = "https://github.com"
	}
	repo := r.ws.Settings.GitHub.Repository
	if repo == "" {
		repo = r.s.Official
	}
	labels := map[string]string{
		labelVersion:                       r.plan.ImageVersion,
		labelRevision:                      r.ws.Commit,
		"org.opencontainers.image.created": time.Now().UTC().Format(time.RFC3339),
		"org.opencontainers.image.title":   filepath.Base(r.s.Image),
	}
	if repo != "" {
		labels["org.opencontainers.image.source"] = source + "/" + repo
	}
	return labels
}

// contextSpec picks the Dockerfile: the configured one, the context's own
// Dockerfile, or tpuci's SGLang-JAX recipe (whose .dockerignore applies
// when the repository has none).
func (r *run) contextSpec() (dockerimg.ContextSpec, error) {
	spec := dockerimg.ContextSpec{Dir: r.s.Context}
	df := r.s.Dockerfile
	if df == "" {
		if _, err := os.Stat(filepath.Join(r.s.Context, "Dockerfile")); err == nil {
			spec.Dockerfile = "Dockerfile"
			return spec, nil
		}
		rec, err := tpudocker.Get(tpudocker.SGLangJAXTPU)
		if err != nil {
			return spec, err
		}
		spec.Dockerfile = injectedDockerfile
		spec.Extra = []dockerimg.Extra{{Path: injectedDockerfile, Data: rec.Dockerfile}}
		spec.Ignore = ignoreLines(rec.DockerIgnore)
		r.notes = append(r.notes, "no Dockerfile in the build context: using tpuci's "+rec.Name+" recipe (docker/"+rec.Name+")")
		return spec, nil
	}
	abs := filepath.Join(r.s.Repo, df)
	rel, err := filepath.Rel(r.s.Context, abs)
	if err == nil && !strings.HasPrefix(rel, "..") {
		spec.Dockerfile = filepath.ToSlash(rel)
		return spec, nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return spec, fmt.Errorf("docker: read [release].dockerfile: %w", err)
	}
	spec.Dockerfile = injectedDockerfile
	spec.Extra = []dockerimg.Extra{{Path: injectedDockerfile, Data: data}}
	return spec, nil
}

// ignoreLines are the patterns of a .dockerignore: trimmed, without blank
// lines and comments.
func ignoreLines(data []byte) []string {
	out, _ := script.Echo(string(data)).FilterLine(strings.TrimSpace).RejectRegexp(blankOrComment).Slice()
	return out
}

var blankOrComment = regexp.MustCompile(`^(#|$)`)

// buildBase makes the base the configuration asks for (Debian with
// python3, from Debian's packages) or reuses this machine's copy, and
// returns its local tag.
func (r *run) buildBase(ctx context.Context, eng dockerimg.Engine, log io.Writer) (string, error) {
	if r.s.BaseRecipe != debian.Recipe {
		return "", fmt.Errorf("docker: base_recipe %q: only %q can serve as a base", r.s.BaseRecipe, debian.Recipe)
	}
	spec, err := baseSpec(r.s)
	if err != nil {
		return "", err
	}
	p, err := debian.NewPlan(spec)
	if err != nil {
		return "", err
	}
	res, err := debbase.Ensure(ctx, eng, p, log)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("base %s (%s): %s", res.Tag, dockerimg.ShortID(res.ID), res.How)
	if res.How != debbase.Reused {
		msg += fmt.Sprintf(", %.0f MB, mmdebstrap %s, import %s", float64(res.Bytes)/1e6,
			res.Build.Round(100*time.Millisecond), res.Load.Round(100*time.Millisecond))
	}
	fmt.Fprintln(log, msg)
	return res.Tag, nil
}

// baseSpec is this machine's debian-python base: the configured suite,
// the mirror from TPUCI_RELEASE_BASE_MIRROR or else apt's sources, the
// tarball kept in the user cache directory.
func baseSpec(s Settings) (debian.Spec, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return debian.Spec{}, fmt.Errorf("docker: debian base: cache directory: %w", err)
	}
	mirror := strings.TrimSpace(s.BaseMirror)
	if mirror == "" {
		mirror = debian.AptMirror("/")
	}
	return debian.Spec{Suite: or(s.BaseSuite, debian.DefaultSuite), Mirror: mirror, Arch: s.Arch,
		Packages: debian.Packages, CacheDir: filepath.Join(cache, "tpuci", "debian-base")}, nil
}
