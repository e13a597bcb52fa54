// Package release runs tpuci's publishing targets (release:version,
// release:pypi, release:docker): it resolves the version and the plan,
// applies the guards, builds and smoke-tests everything, and publishes
// only when the guards allow it; otherwise it prints what it would
// publish.
package release

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/datastore/gitstore"
	"github.com/sgl-project/tpuci/internal/release/guard"
	"github.com/sgl-project/tpuci/internal/release/plan"
	"github.com/sgl-project/tpuci/internal/release/version"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Defaults for empty [release] fields.
const (
	DefaultBranch       = "main"
	DefaultArch         = "amd64"
	DefaultRepository   = "https://upload.pypi.org/legacy/"
	DefaultTokenEnv     = "PYPI_TOKEN"
	DefaultRegistryUser = "DOCKER_USERNAME"
	DefaultRegistryPass = "DOCKER_TOKEN"
	DefaultSmokeTimeout = 2 * time.Minute
	// EnvImage overrides [release].image (e.g. a test registry).
	EnvImage = "TPUCI_RELEASE_IMAGE"
)

// Settings is [release] with defaults and environment overrides applied.
type Settings struct {
	Repo    string
	Channel plan.Channel
	Date    time.Time

	VersionSource string
	VersionFile   string
	Official      string
	Branch        string

	Image        string
	Dockerfile   string // relative to Repo; "" when not configured
	Context      string // absolute
	BaseRecipe   string
	BaseSuite    string // of the debian-python base; "" for the default
	BaseMirror   string // TPUCI_RELEASE_BASE_MIRROR; "" for apt's
	Arch         string
	Arches       []string
	VersionArgs  []string
	BuildArgs    map[string]string
	SmokeCommand []string
	SmokeTimeout time.Duration
	RegistryUser string
	RegistryPass string

	PackageDir  string // absolute
	Import      string // import name of the package
	DistName    string // "" until read from pyproject.toml
	WheelTag    string
	Isolation   bool
	LegacySdist bool
	Repository  string
	JSONRoot    string
	TokenEnv    string

	Status        string
	StatusRepo    *gitstore.Repo // the nightly data repository the status comes from (Status is then its path in it)
	MaxAge        time.Duration
	SuccessMaxAge time.Duration
	Latest        *guard.LatestQuery // nil: the latest run is not checked
}

// Resolve builds the settings from the workspace: [release] with the
// environment's overrides (ws.Settings, validated at start).
func Resolve(ws *workspace.Workspace) (Settings, error) {
	c := ws.Config
	r := c.Release
	env := ws.Settings.Release
	s := Settings{
		Repo: ws.Repo, VersionFile: c.Repo.VersionFile, Official: r.OfficialRepo, Branch: or(r.Branch, DefaultBranch),
		Image: or(env.Image, r.Image), Dockerfile: r.Dockerfile, Context: filepath.Join(ws.Repo, or(r.Context, ".")),
		BaseRecipe: r.BaseRecipe, BaseSuite: r.BaseSuite, BaseMirror: env.BaseMirror, Arch: or(env.Arch, DefaultArch), Arches: r.Arches, VersionArgs: r.VersionArgs,
		BuildArgs: r.BuildArgs, SmokeCommand: r.SmokeCommand, SmokeTimeout: r.SmokeTimeout.Duration,
		RegistryUser: or(r.RegistryUser, DefaultRegistryUser), RegistryPass: or(r.RegistryPass, DefaultRegistryPass),
		PackageDir: filepath.Join(ws.Repo, c.Repo.PackageDir), Import: c.Repo.Package, DistName: r.DistName,
		WheelTag: or(r.WheelTag, "py3-none-any"), Isolation: r.BuildIsolation == nil || *r.BuildIsolation,
		LegacySdist: r.LegacySdist, Repository: or(env.Repository, or(r.PyPIRepository, DefaultRepository)),
		JSONRoot: r.PyPIJSONURL, TokenEnv: or(r.PyPITokenEnv, DefaultTokenEnv),
		Status: or(ws.Settings.NightlyStatus, r.NightlyStatus), MaxAge: r.NightlyMaxAge.Duration, SuccessMaxAge: r.NightlySuccessMaxAge.Duration,
		Latest: latestQuery(ws, r.NightlyWorkflow, or(r.Branch, DefaultBranch)),
	}
	if r.VersionArgs == nil {
		s.VersionArgs = []string{"VERSION"}
	}
	if len(s.Arches) == 0 {
		s.Arches = []string{DefaultArch}
	}
	if s.SmokeTimeout == 0 {
		s.SmokeTimeout = DefaultSmokeTimeout
	}
	switch {
	case r.VersionSource != "":
		s.VersionSource = r.VersionSource
	case s.VersionFile != "":
		s.VersionSource = version.SourceFile
	default:
		s.VersionSource = version.SourceSCM
	}
	ch, err := plan.ParseChannel(env.Channel)
	if err != nil {
		return s, fmt.Errorf("release: %s: %w", guard.EnvChannel, err)
	}
	s.Channel = ch
	if s.Date = env.Date; s.Date.IsZero() {
		s.Date = time.Now().UTC()
	}
	if s.StatusRepo = statusRepo(ws); s.StatusRepo != nil {
		s.Status = filepath.Join(s.StatusRepo.Dir, datastore.Sub(c), "nightly-status.json")
	} else if s.Status != "" && !strings.Contains(s.Status, "://") && !filepath.IsAbs(s.Status) {
		s.Status = filepath.Join(ws.Repo, s.Status)
	}
	return s, nil
}

// latestQuery asks GitHub for the nightly workflow's latest run when the
// config names the workflow and the run has a token; nil otherwise.
func latestQuery(ws *workspace.Workspace, workflow, branch string) *guard.LatestQuery {
	gh := ws.Settings.GitHub
	if workflow == "" || gh.Token == "" || gh.Repository == "" {
		return nil
	}
	return &guard.LatestQuery{API: gh.APIURL, Repo: gh.Repository, Workflow: workflow, Branch: branch, Token: gh.Token.Reveal()}
}

// statusRepo is the nightly data repository the gate reads the status
// record from, where the nightly jobs write it; nil when
// TPUCI_NIGHTLY_STATUS names the status itself, or when
// [release].nightly_status does and TPUCI_NIGHTLY_GIT is unset.
func statusRepo(ws *workspace.Workspace) *gitstore.Repo {
	if ws.Settings.NightlyStatus != "" || ws.Settings.NightlyGit == "" && ws.Config.Release.NightlyStatus != "" {
		return nil
	}
	return datastore.Repo(ws, filepath.Join(ws.Out, "release", "nightly-data"), nil)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
