package dockerimg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/docker/docker/pkg/stdcopy"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/sgl-project/tpuci/internal/textline"
)

// Engine is the part of the Docker engine API a release uses;
// *client.Client satisfies it.
type Engine interface {
	Ping(ctx context.Context) (types.Ping, error)
	ImageBuild(ctx context.Context, buildContext io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImageInspect(ctx context.Context, imageID string, inspectOpts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageTag(ctx context.Context, source, target string) error
	ImageImport(ctx context.Context, source image.ImportSource, ref string, options image.ImportOptions) (io.ReadCloser, error)
	ImagePush(ctx context.Context, image string, options image.PushOptions) (io.ReadCloser, error)
	ImagePull(ctx context.Context, refStr string, options image.PullOptions) (io.ReadCloser, error)
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerWait(ctx context.Context, containerID string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerLogs(ctx context.Context, container string, options container.LogsOptions) (io.ReadCloser, error)
	ContainerKill(ctx context.Context, containerID, signal string) error
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
}

// NoEngineError means no Docker engine answered.
type NoEngineError struct {
	Host string
	Err  error
}

func (e *NoEngineError) Error() string {
	return fmt.Sprintf("no Docker engine answers at %s (%v): start dockerd (scripts/ci-services.sh) or set DOCKER_HOST", e.Host, e.Err)
}

func (e *NoEngineError) Unwrap() error { return e.Err }

// Connect opens a client from the environment (DOCKER_HOST, ...) with API
// version negotiation and checks that the engine answers.
func Connect(ctx context.Context) (*client.Client, types.Ping, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, types.Ping{}, fmt.Errorf("docker: client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ping, err := cli.Ping(pctx)
	if err != nil {
		_ = cli.Close()
		return nil, types.Ping{}, &NoEngineError{Host: cli.DaemonHost(), Err: err}
	}
	return cli, ping, nil
}

// BuildSpec describes one image build.
type BuildSpec struct {
	Context    io.Reader
	Dockerfile string
	Tags       []string // local tags (e.g. the cache tag); the release tags come later, from the ID
	BuildArgs  map[string]string
	Labels     map[string]string
	Platform   string   // linux/amd64
	CacheFrom  []string // images whose layers may be reused (must exist locally)
	NoCache    bool
}

// BuildResult is what a build produced.
type BuildResult struct {
	ID        string // sha256:...
	Steps     int
	CacheHits int // steps answered from the layer cache
}

// Build builds with the classic builder, which needs no BuildKit session
// and is served by every engine. The API call succeeds even when the
// build fails: failures arrive in the JSON message stream, so the stream
// is read to the end and its error returned.
func Build(ctx context.Context, eng Engine, spec BuildSpec, log io.Writer) (BuildResult, error) {
	args := map[string]*string{}
	for k, v := range spec.BuildArgs {
		args[k] = &v
	}
	resp, err := eng.ImageBuild(ctx, spec.Context, build.ImageBuildOptions{
		Tags: spec.Tags, Dockerfile: spec.Dockerfile, BuildArgs: args, Labels: spec.Labels, Platform: spec.Platform,
		CacheFrom: spec.CacheFrom, NoCache: spec.NoCache, Remove: true, ForceRemove: true, Version: build.BuilderV1,
	})
	if err != nil {
		return BuildResult{}, fmt.Errorf("docker: build: %w", err)
	}
	defer resp.Body.Close()
	var res BuildResult
	counter := &lineCounter{w: orDiscard(log)}
	err = jsonmessage.DisplayJSONMessagesStream(resp.Body, counter, 0, false, func(m jsonmessage.JSONMessage) {
		if m.Aux == nil {
			return
		}
		var aux struct{ ID string }
		if json.Unmarshal(*m.Aux, &aux) == nil && strings.HasPrefix(aux.ID, "sha256:") {
			res.ID = aux.ID
		}
	})
	res.Steps, res.CacheHits = counter.steps, counter.cached
	if err != nil {
		return res, fmt.Errorf("docker: build: %w", streamErr(ctx, err))
	}
	if res.ID == "" {
		return res, errors.New("docker: build: the engine reported no image ID (the stream ended early)")
	}
	return res, nil
}

// streamErr prefers the cancellation cause over the broken stream it causes.
func streamErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// lineCounter passes output through and counts build steps and cache hits.
type lineCounter struct {
	w       io.Writer
	partial []byte
	steps   int
	cached  int
}

var stepLine = regexp.MustCompile(`^Step \d+/\d+ :`)

func (c *lineCounter) Write(p []byte) (int, error) {
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(c.partial[:i]))
		c.partial = c.partial[i+1:]
		switch {
		case stepLine.MatchString(line):
			c.steps++
		case line == "---> Using cache":
			c.cached++
		}
	}
	return c.w.Write(p)
}

// Inspect returns the image's inspect data.
func Inspect(ctx context.Context, eng Engine, ref string) (image.InspectResponse, error) {
	ii, err := eng.ImageInspect(ctx, ref)
	if err != nil {
		return ii, fmt.Errorf("docker: inspect %s: %w", ref, err)
	}
	return ii, nil
}

// Import makes an image tagged ref from a root filesystem tar, with the
// image config changes (ENV, CMD, LABEL lines), and returns its ID.
func Import(ctx context.Context, eng Engine, rootfs io.Reader, ref, platform string, changes []string, log io.Writer) (string, error) {
	rc, err := eng.ImageImport(ctx, image.ImportSource{Source: rootfs, SourceName: "-"}, ref,
		image.ImportOptions{Changes: changes, Platform: platform})
	if err != nil {
		return "", fmt.Errorf("docker: import %s: %w", ref, err)
	}
	defer rc.Close()
	if err := jsonmessage.DisplayJSONMessagesStream(rc, orDiscard(log), 0, false, nil); err != nil {
		return "", fmt.Errorf("docker: import %s: %w", ref, streamErr(ctx, err))
	}
	ii, err := Inspect(ctx, eng, ref)
	if err != nil {
		return "", err
	}
	return ii.ID, nil
}

// Exists reports whether the engine holds an image by that reference.
func Exists(ctx context.Context, eng Engine, ref string) bool {
	_, err := eng.ImageInspect(ctx, ref)
	return err == nil
}

// SmokeSpec describes a smoke run.
type SmokeSpec struct {
	Image   string   // image ID
	Command []string // replaces entrypoint and command
	Want    pep440.Version
	Timeout time.Duration // default 2m
}

// SmokeResult is what the container did.
type SmokeResult struct {
	ExitCode int64
	Stdout   string
	Stderr   string
}

// Smoke runs the command in a container of the image without network,
// and requires exit code 0 and the version among the words it printed.
// The container is always removed.
func Smoke(ctx context.Context, eng Engine, s SmokeSpec) (SmokeResult, error) {
	var res SmokeResult
	if len(s.Command) == 0 {
		return res, errors.New("docker: smoke: no command ([release].smoke_command)")
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	cr, err := eng.ContainerCreate(ctx,
		&container.Config{Image: s.Image, Entrypoint: s.Command[:1], Cmd: s.Command[1:], Labels: map[string]string{"tpuci.smoke": "1"}},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		return res, fmt.Errorf("docker: smoke: create a container of %s: %w", ShortID(s.Image), err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = eng.ContainerRemove(rctx, cr.ID, container.RemoveOptions{Force: true})
	}()
	// Wait first, so that a command faster than the start call is not missed.
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	waitC, errC := eng.ContainerWait(wctx, cr.ID, container.WaitConditionNextExit)
	if err := eng.ContainerStart(ctx, cr.ID, container.StartOptions{}); err != nil {
		return res, fmt.Errorf("docker: smoke: start %s: %w", strings.Join(s.Command, " "), err)
	}
	select {
	case w := <-waitC:
		res.ExitCode = w.StatusCode
		if w.Error != nil && w.Error.Message != "" {
			return res, fmt.Errorf("docker: smoke: %s", w.Error.Message)
		}
	case err := <-errC:
		if wctx.Err() != nil && ctx.Err() == nil {
			_ = eng.ContainerKill(context.WithoutCancel(ctx), cr.ID, "KILL")
			return res, fmt.Errorf("docker: smoke: %s did not finish within %s", strings.Join(s.Command, " "), timeout)
		}
		return res, fmt.Errorf("docker: smoke: wait: %w", streamErr(ctx, err))
	}
	logs, err := eng.ContainerLogs(ctx, cr.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return res, fmt.Errorf("docker: smoke: logs: %w", err)
	}
	defer logs.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		return res, fmt.Errorf("docker: smoke: logs: %w", err)
	}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	if res.ExitCode != 0 {
		detail := textline.Last(res.Stderr)
		if detail == "" {
			detail = textline.Last(res.Stdout)
		}
		return res, fmt.Errorf("docker: smoke: %s exited with %d: %s", strings.Join(s.Command, " "), res.ExitCode, detail)
	}
	if !PrintsVersion(res.Stdout+"\n"+res.Stderr, s.Want) {
		return res, fmt.Errorf("docker: smoke: %s printed %q, not the version %s", strings.Join(s.Command, " "), textline.Last(res.Stdout+res.Stderr), s.Want)
	}
	return res, nil
}

var wordSep = regexp.MustCompile(`[^0-9A-Za-z.+!_-]+`)

// PrintsVersion reports whether one of the words in out is want (in any
// PEP 440 spelling, with or without a leading v).
func PrintsVersion(out string, want pep440.Version) bool {
	for _, w := range wordSep.Split(out, -1) {
		w = strings.TrimRight(w, ".")
		if w == "" {
			continue
		}
		if v, err := pep440.Parse(w); err == nil && v.Equal(want) {
			return true
		}
	}
	return false
}

// Pushed is the result of a push.
type Pushed struct {
	Ref    string // repo:tag
	Digest string // sha256:... of the manifest
	Size   int
}

// Push tags the image ID as ref and pushes it, so the bits pushed are
// the bits that were smoke-tested. auth is the X-Registry-Auth value
// (registry.EncodeAuthConfig); "" for anonymous.
func Push(ctx context.Context, eng Engine, id, ref, auth string, log io.Writer) (Pushed, error) {
	if err := eng.ImageTag(ctx, id, ref); err != nil {
		return Pushed{}, fmt.Errorf("docker: tag %s as %s: %w", ShortID(id), ref, err)
	}
	ii, err := eng.ImageInspect(ctx, ref)
	if err != nil {
		return Pushed{}, fmt.Errorf("docker: inspect %s: %w", ref, err)
	}
	if ii.ID != id {
		return Pushed{}, fmt.Errorf("docker: %s points at %s, not the tested image %s (another build retagged it); rerun", ref, ShortID(ii.ID), ShortID(id))
	}
	rc, err := eng.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		return Pushed{}, fmt.Errorf("docker: push %s: %w", ref, err)
	}
	defer rc.Close()
	p := Pushed{Ref: ref}
	err = jsonmessage.DisplayJSONMessagesStream(rc, orDiscard(log), 0, false, func(m jsonmessage.JSONMessage) {
		if m.Aux == nil {
			return
		}
		var aux struct {
			Tag    string
			Digest string
			Size   int
		}
		if json.Unmarshal(*m.Aux, &aux) == nil && aux.Digest != "" {
			p.Digest, p.Size = aux.Digest, aux.Size
		}
	})
	if err != nil {
		return p, fmt.Errorf("docker: push %s: %w", ref, streamErr(ctx, err))
	}
	if p.Digest == "" {
		return p, fmt.Errorf("docker: push %s: the engine reported no digest", ref)
	}
	return p, nil
}

// Pull pulls ref; a failure is returned for the caller to judge (a
// missing previous image only costs cache).
func Pull(ctx context.Context, eng Engine, ref, platform, auth string, log io.Writer) error {
	rc, err := eng.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth, Platform: platform})
	if err != nil {
		return fmt.Errorf("docker: pull %s: %w", ref, err)
	}
	defer rc.Close()
	if err := jsonmessage.DisplayJSONMessagesStream(rc, orDiscard(log), 0, false, nil); err != nil {
		return fmt.Errorf("docker: pull %s: %w", ref, streamErr(ctx, err))
	}
	return nil
}

// ShortID shortens an image ID the way docker prints it.
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
