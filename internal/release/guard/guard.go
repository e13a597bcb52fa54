// Package guard decides whether a release run may publish: only the
// official repository, only from its release branch or the version's own
// tag, never over an existing release tag unless forced, and only while
// the nightly tests are healthy (or with a recorded emergency override).
// Everywhere else a run is a dry run: it builds and tests everything and
// publishes nothing.
package guard

import (
	"fmt"
	"strings"

	"github.com/sgl-project/tpuci/internal/release/plan"
	"github.com/sgl-project/tpuci/internal/settings"
)

// Environment variables that steer a release run.
const (
	EnvDryRun   = "TPUCI_RELEASE_DRY_RUN"   // 1: never publish
	EnvPublish  = "TPUCI_RELEASE_PUBLISH"   // 1: publish (all guards must pass)
	EnvForce    = "TPUCI_RELEASE_FORCE"     // 1: overwrite existing release tags
	EnvOverride = "TPUCI_RELEASE_OVERRIDE"  // written justification to publish despite the nightly gate
	EnvChannel  = "TPUCI_RELEASE_CHANNEL"   // release (default) or nightly
	EnvStatus   = "TPUCI_NIGHTLY_STATUS"    // path or URL overriding [release].nightly_status
	EnvDate     = "TPUCI_RELEASE_DATE"      // YYYYMMDD of a nightly (default: today, UTC)
	EnvArch     = "TPUCI_RELEASE_ARCH"      // architecture this run builds (default: amd64)
	EnvSkipPull = "TPUCI_RELEASE_SKIP_PULL" // 1: do not pull the previous image for the layer cache
)

// Where describes the run's surroundings (from the GitHub environment).
type Where struct {
	CI         bool   // CI=true
	Repository string // GITHUB_REPOSITORY
	Ref        string // GITHUB_REF: refs/heads/main, refs/tags/v0.5.3
}

// FromSettings reads Where and the request from the parsed environment.
func FromSettings(s *settings.Settings) (Where, Request) {
	w := Where{CI: s.CI, Repository: s.GitHub.Repository, Ref: s.GitHub.Ref}
	r := Request{DryRun: s.Release.DryRun, Publish: s.Release.Publish, Force: s.Release.Force}
	return w, r
}

// Policy is the configured part.
type Policy struct {
	OfficialRepo string // owner/name
	Branch       string // release branch (main)
}

// Request is what the user asked for.
type Request struct {
	DryRun  bool
	Publish bool
	Force   bool
}

// Decision is the outcome: publish or dry run, and why.
type Decision struct {
	Publish bool   `json:"publish"`
	Why     string `json:"why"`
	Force   bool   `json:"force,omitempty"`
}

// Decide applies the repository and ref rules. A run that should not
// publish becomes a dry run; a run that asked to publish (or is the
// official repository's CI) but breaks a rule is an error, so a
// misconfigured release fails loudly instead of silently publishing
// nothing.
func Decide(pol Policy, w Where, req Request, p plan.Plan) (Decision, error) {
	if req.DryRun {
		return Decision{Why: "dry run: " + EnvDryRun + " is set"}, nil
	}
	official := pol.OfficialRepo != "" && w.Repository == pol.OfficialRepo
	if !req.Publish && !(w.CI && official) {
		where := "outside CI"
		if w.CI {
			where = fmt.Sprintf("in CI of %s, not the official repository %s", orUnset(w.Repository), orUnset(pol.OfficialRepo))
		}
		return Decision{Why: "dry run: " + where + " (publishing happens only in the official repository's CI, or with " + EnvPublish + "=1)"}, nil
	}
	if pol.OfficialRepo == "" {
		return Decision{}, fmt.Errorf("guard: publishing refused: [release].official_repo is not configured")
	}
	if !official {
		return Decision{}, fmt.Errorf("guard: publishing refused: GITHUB_REPOSITORY=%s is not the official repository %s (forks publish nothing; set %s=1 to test)", orUnset(w.Repository), pol.OfficialRepo, EnvDryRun)
	}
	if err := checkRef(pol, w.Ref, p); err != nil {
		return Decision{}, err
	}
	return Decision{Publish: true, Force: req.Force, Why: fmt.Sprintf("publishing: %s at %s", w.Repository, w.Ref)}, nil
}

func checkRef(pol Policy, ref string, p plan.Plan) error {
	branch := pol.Branch
	if branch == "" {
		branch = "main"
	}
	switch {
	case ref == "":
		return fmt.Errorf("guard: publishing refused: GITHUB_REF is not set, so the branch or tag cannot be checked")
	case ref == "refs/heads/"+branch:
		return nil
	case strings.HasPrefix(ref, "refs/tags/"):
		tag := strings.TrimPrefix(ref, "refs/tags/")
		if p.Channel == plan.Nightly {
			return fmt.Errorf("guard: publishing refused: a nightly publishes from %s, not from tag %s", branch, tag)
		}
		if tag != p.Tag {
			return fmt.Errorf("guard: publishing refused: tag %s does not match the version %s (its tag is %s; tags must be canonical)", tag, p.Version, p.Tag)
		}
		return nil
	}
	return fmt.Errorf("guard: publishing refused: %s is neither refs/heads/%s nor the release tag refs/tags/%s", ref, branch, p.Tag)
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// ArchImage is what the registry holds at a plan's per-arch tag.
type ArchImage struct {
	Found    bool
	Digest   string
	Version  string // its org.opencontainers.image.version label
	Revision string // its org.opencontainers.image.revision label
}

// ArchTag decides what a release does about its per-arch tag, which is
// immutable: push (not there yet, a nightly, or forced), reuse the image
// an earlier run of the same release pushed (same version label and
// commit: that run stopped before its lists), or refuse.
func ArchTag(p plan.Plan, have ArchImage, commit string, force bool) (reuse bool, why string, err error) {
	switch {
	case len(p.Immutable) == 0:
		return false, "nightly tags move; nothing to protect", nil
	case !have.Found:
		return false, p.Push + " is not pushed yet", nil
	case force:
		return false, "forced: replacing " + p.Push, nil
	case have.Version == p.ImageVersion && have.Revision == commit:
		return true, fmt.Sprintf("%s is %s, pushed by an earlier run of this release (commit %s): resuming with it, not rebuilt", p.Push, have.Digest, commit), nil
	}
	return false, "", fmt.Errorf("guard: %s already exists (version %q, commit %q; this release is %s at %s): a release tag is never overwritten (set %s=1 to replace it deliberately, or release a .postN)",
		p.Push, have.Version, have.Revision, p.ImageVersion, commit, EnvForce)
}

// truthy reports a yes-value: an override that says only "1" or "yes"
// is no justification.
func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
