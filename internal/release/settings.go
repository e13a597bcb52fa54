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

	"github.com/sgl-project/tpuci/internal/nightly/gitstore"
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
	// EnvRepository overrides [release].pypi_repository (e.g. TestPyPI).
	EnvRepository = "TPUCI_PYPI_REPOSITORY"
	// EnvNightlyGit is the nightly data repository (as for the nightly
	// target); the release gate reads its status record.
	EnvNightlyGit = "TPUCI_NIGHTLY_GIT"
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

// Resolve builds the settings from the workspace and the environment.
func Resolve(ws *workspace.Workspace) (Settings, error) {
	c := ws.Config
	r := c.Release
	get := ws.Getenv
	s := Settings{
		Repo: ws.Repo, VersionFile: c.Repo.VersionFile, Official: r.OfficialRepo, Branch: or(r.Branch, DefaultBranch),
		Image: or(get(EnvImage), r.Image), Dockerfile: r.Dockerfile, Context: filepath.Join(ws.Repo, or(r.Context, ".")),
		BaseRecipe: r.BaseRecipe, Arch: or(get(guard.EnvArch), DefaultArch), Arches: r.Arches, VersionArgs: r.VersionArgs,
		BuildArgs: r.BuildArgs, SmokeCommand: r.SmokeCommand, SmokeTimeout: r.SmokeTimeout.Duration,
		RegistryUser: or(r.RegistryUser, DefaultRegistryUser), RegistryPass: or(r.RegistryPass, DefaultRegistryPass),
		PackageDir: filepath.Join(ws.Repo, c.Repo.PackageDir), Import: c.Repo.Package, DistName: r.DistName,
		WheelTag: or(r.WheelTag, "py3-none-any"), Isolation: r.BuildIsolation == nil || *r.BuildIsolation,
		LegacySdist: r.LegacySdist, Repository: or(get(EnvRepository), or(r.PyPIRepository, DefaultRepository)),
		JSONRoot: r.PyPIJSONURL, TokenEnv: or(r.PyPITokenEnv, DefaultTokenEnv),
		Status: or(get(guard.EnvStatus), r.NightlyStatus), MaxAge: r.NightlyMaxAge.Duration, SuccessMaxAge: r.NightlySuccessMaxAge.Duration,
	}
	if r.NightlyWorkflow != "" && get("GITHUB_TOKEN") != "" && get("GITHUB_REPOSITORY") != "" {
		s.Latest = &guard.LatestQuery{API: get("GITHUB_API_URL"), Repo: get("GITHUB_REPOSITORY"), Workflow: r.NightlyWorkflow,
			Branch: s.Branch, Token: get("GITHUB_TOKEN")}
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
	ch, err := plan.ParseChannel(get(guard.EnvChannel))
	if err != nil {
		return s, fmt.Errorf("release: %s: %w", guard.EnvChannel, err)
	}
	s.Channel = ch
	s.Date = time.Now().UTC()
	if d := get(guard.EnvDate); d != "" {
		if s.Date, err = time.Parse("20060102", d); err != nil {
			return s, fmt.Errorf("release: %s=%s is not YYYYMMDD", guard.EnvDate, d)
		}
	}
	if s.StatusRepo = statusRepo(ws); s.StatusRepo != nil {
		s.Status = filepath.Join(s.StatusRepo.Dir, or(c.Nightly.Git.Dir, "nightly"), "nightly-status.json")
	} else if s.Status != "" && !strings.Contains(s.Status, "://") && !filepath.IsAbs(s.Status) {
		s.Status = filepath.Join(ws.Repo, s.Status)
	}
	return s, nil
}

// statusRepo is the nightly data repository the gate reads the status
// record from, where the nightly jobs write it: TPUCI_NIGHTLY_GIT unless
// TPUCI_NIGHTLY_STATUS names the status itself, else [nightly.git].url
// when [release].nightly_status is empty. nil: no repository.
func statusRepo(ws *workspace.Workspace) *gitstore.Repo {
	g := ws.Config.Nightly.Git
	url := ws.Getenv(EnvNightlyGit)
	switch {
	case ws.Getenv(guard.EnvStatus) != "" || url == "none":
		return nil
	case url == "" && ws.Config.Release.NightlyStatus == "":
		url = g.URL
	}
	if url == "" {
		return nil
	}
	if !strings.Contains(url, "://") && !strings.Contains(url, "@") && !filepath.IsAbs(url) {
		url = filepath.Join(ws.Repo, url) // relative to the repository, as for the nightly target
	}
	return &gitstore.Repo{URL: url, Branch: g.Branch, Dir: filepath.Join(ws.Out, "release", "nightly-data"),
		Token: ws.Getenv(or(g.TokenEnv, "TPUCI_NIGHTLY_GIT_TOKEN"))}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
