package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/sgl-project/tpuci/internal/datastore/gitstore"
	"github.com/sgl-project/tpuci/internal/ghactions"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/release/dockerimg"
	"github.com/sgl-project/tpuci/internal/release/guard"
	"github.com/sgl-project/tpuci/internal/release/manifest"
	"github.com/sgl-project/tpuci/internal/release/plan"
	"github.com/sgl-project/tpuci/internal/release/pypi"
	"github.com/sgl-project/tpuci/internal/release/regauth"
	"github.com/sgl-project/tpuci/internal/release/version"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/textline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// run is one release target's state, shared by its steps.
type run struct {
	ws       *workspace.Workspace
	st       *pipeline.Stage
	s        Settings
	found    version.Found
	released []pep440.Version
	unknown  []string // why released may be incomplete: latest then fails closed
	notes    []string
	cred     regauth.Cred
	reg      manifest.Registry
	plan     plan.Plan
	decision guard.Decision
	guardErr error
	gate     *guard.GateResult
	rows     [][]string // the "Publish" table

	existingMsg string // what the existing-tags check found
}

// step runs fn as one reported case. A missing tool becomes the stage's
// MissingTool (skipped locally, an error in CI); any other error fails
// the case and is returned.
func (r *run) step(name string, fn func() (string, error)) error {
	start := time.Now()
	msg, err := fn()
	c := report.Case{Name: name, Class: r.st.Target, Status: report.Passed, Duration: time.Since(start), Message: msg}
	if err != nil {
		var miss *pypi.MissingError
		var noEngine *dockerimg.NoEngineError
		switch {
		case errors.As(err, &miss):
			c.Status, c.Message = report.Skipped, err.Error()
			r.st.Cases = append(r.st.Cases, c)
			return &pipeline.MissingTool{Tool: miss.Tool, Install: miss.Install}
		case errors.As(err, &noEngine):
			c.Status, c.Message = report.Skipped, err.Error()
			r.st.Cases = append(r.st.Cases, c)
			return &pipeline.MissingTool{Tool: "a Docker engine at " + noEngine.Host, Install: "bash scripts/ci-services.sh (as root; or point DOCKER_HOST at an engine)"}
		}
		c.Status, c.Message = report.Failed, err.Error()
		r.st.Failures = append(r.st.Failures, name+": "+err.Error())
	}
	r.st.Cases = append(r.st.Cases, c)
	if msg != "" && err == nil {
		fmt.Fprintf(r.st.Log, "    %s: %s\n", name, msg)
	}
	return err
}

// begin resolves the settings and the version, and reads which versions
// were released already (git tags).
func begin(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) (*run, error) {
	r := &run{ws: ws, st: st}
	err := r.step("version", func() (string, error) {
		s, err := Resolve(ws)
		if err != nil {
			return "", err
		}
		r.s = s
		r.found, err = version.Resolve(ctx, version.Options{Repo: ws.Repo, Source: s.VersionSource, File: s.VersionFile,
			// setuptools-scm's own variable, which the package build inherits:
			// read raw so that tpuci's version agrees with the build's.
			Getenv: ws.Getenv, Nightly: s.Channel == plan.Nightly})
		if err != nil {
			return "", err
		}
		rel, err := version.Released(ctx, ws.Repo)
		switch {
		case errors.Is(err, version.ErrNoGit):
			r.notes = append(r.notes, "not a git checkout: released versions come from the registry's tags only")
		case err != nil:
			r.unknown = append(r.unknown, "git tags unknown: "+textline.First(err.Error()))
		}
		r.released = rel
		return fmt.Sprintf("%s (from %s)", r.found.Version, r.found.From), nil
	})
	return r, err
}

// readRegistry resolves the registry credentials and reads which versions
// the image repository already holds (its vX tags) for the latest
// decision. release:version and release:docker both call it, so they
// decide alike. A registry error leaves the decision unknown: latest does
// not move and publishing refuses.
func (r *run) readRegistry(ctx context.Context) (string, error) {
	cred, err := regauth.Resolve(r.s.Image, func(name string) string { return r.ws.Settings.Credential(name).Reveal() }, r.s.RegistryUser, r.s.RegistryPass)
	if err != nil {
		return "", err
	}
	for _, s := range cred.Secrets() {
		r.st.GH.Mask(s)
	}
	r.cred, r.reg = cred, manifest.Registry{Auth: cred.Authenticator()}
	tags, err := manifest.Tags(ctx, r.reg, r.s.Image)
	if err != nil {
		r.unknown = append(r.unknown, "registry tags unknown: "+textline.First(err.Error()))
		return cred.String() + "; tags unknown (latest fails closed)", nil
	}
	n := 0
	for _, t := range tags {
		if v, err := pep440.Parse(t); err == nil && strings.HasPrefix(t, "v") {
			r.released = append(r.released, v)
			n++
		}
	}
	return fmt.Sprintf("%s; %d release tags", cred, n), nil
}

// makePlan computes the plan and the publish decision. The decision's
// error is kept: release:version reports it, the publishing targets fail.
func (r *run) makePlan(image, dist bool) error {
	return r.step("plan", func() (string, error) {
		in := plan.Input{Version: r.found.Version, Channel: r.s.Channel, Released: r.released, ReleasedUnknown: strings.Join(r.unknown, "; "), Date: r.s.Date,
			Arch: r.s.Arch, Arches: r.s.Arches, WheelTag: r.s.WheelTag, Repository: r.s.Repository}
		if image {
			in.Image = r.s.Image
		}
		if dist {
			in.Dist = r.s.DistName
		}
		p, err := plan.Make(in)
		if err != nil {
			return "", err
		}
		r.plan = p
		where, req := guard.FromSettings(r.ws.Settings)
		r.decision, r.guardErr = guard.Decide(guard.Policy{OfficialRepo: r.s.Official, Branch: r.s.Branch}, where, req, p)
		if image && p.LatestUnknown && r.guardErr == nil && r.decision.Publish {
			r.guardErr = fmt.Errorf("release: cannot decide whether latest moves (%s): publishing refused, fails closed; retry when the registry answers", strings.Join(r.unknown, "; "))
		}
		mode := r.decision.Why
		if r.guardErr != nil {
			mode = r.guardErr.Error()
		}
		return fmt.Sprintf("%s %s, latest %t; %s", p.Channel, p.Tag, p.Latest, mode), nil
	})
}

// guards fails when publishing was asked for but is refused, and checks
// the nightly-health gate of a release (nightlies are not gated: they
// are what the nightly tests run on). In a dry run the gate is only
// reported.
func (r *run) guards(ctx context.Context) error {
	if r.guardErr != nil {
		return r.step("guard", func() (string, error) { return "", r.guardErr })
	}
	if err := r.step("guard", func() (string, error) { return r.decision.Why, nil }); err != nil {
		return err
	}
	if r.s.Channel == plan.Nightly {
		return nil
	}
	opts := guard.GateOptions{Source: r.s.Status, MaxAge: r.s.MaxAge, SuccessMaxAge: r.s.SuccessMaxAge,
		Override: r.ws.Settings.Release.Override}
	if q := r.s.Latest; q != nil {
		r.st.GH.Mask(q.Token)
		opts.Latest, opts.LatestErr = guard.LatestCompletedRun(ctx, *q)
	}
	if repo := r.s.StatusRepo; repo != nil {
		r.st.GH.Mask(repo.Token)
		// An unreadable repository leaves no status file: the gate then
		// fails (or takes the emergency override) like any missing status.
		_ = r.step("nightly data", func() (string, error) {
			if err := repo.Sync(ctx); err != nil {
				return "unreadable, the gate has no status: " + err.Error(), nil
			}
			return "status record from " + gitstore.Redact(repo.URL), nil
		})
	}
	g, err := guard.CheckNightly(ctx, opts)
	if err != nil {
		return r.step("nightly gate", func() (string, error) { return "", err })
	}
	r.gate = &g
	return r.step("nightly gate", func() (string, error) {
		msg := g.Outcome
		if len(g.Reasons) > 0 {
			msg += ": " + strings.Join(g.Reasons, "; ")
		}
		switch {
		case g.Outcome == guard.GateEmergency:
			msg += "; emergency override: " + g.Justification
			_ = r.st.GH.AppendSummary("**Release gate overridden** for " + r.plan.Tag + ": " + g.Justification)
			r.st.GH.Annotate(ghactions.Annotation{Level: "warning", Title: "nightly gate overridden", Msg: g.Justification})
		case !g.Allows() && r.decision.Publish:
			return "", fmt.Errorf("guard: the nightly tests are not healthy (%s); fix them, or set %s to a written justification", strings.Join(g.Reasons, "; "), guard.EnvOverride)
		case !g.Allows():
			msg = "would block publishing: " + msg
		}
		return msg, nil
	})
}

// summary adds the release table and the publish table.
func (r *run) summary() {
	p := r.plan
	mode := r.decision.Why
	if r.guardErr != nil {
		mode = "refused: " + r.guardErr.Error()
	}
	rows := [][]string{
		{"version", fmt.Sprintf("%s (from %s)", p.Version, r.found.From)},
		{"tag", p.Tag},
		{"channel", string(p.Channel)},
		{"prerelease", fmt.Sprint(p.Prerelease)},
		{"latest moves", fmt.Sprintf("%t (%s)", p.Latest, p.LatestWhy)},
		{"mode", mode},
	}
	if r.decision.Force {
		rows = append(rows, []string{"force", guard.EnvForce + " is set: existing release tags may be replaced"})
	}
	if g := r.gate; g != nil {
		v := g.Outcome
		if len(g.Reasons) > 0 {
			v += ": " + strings.Join(g.Reasons, "; ")
		}
		rows = append(rows, []string{"nightly gate", v})
		if g.Justification != "" {
			rows = append(rows, []string{"override justification", g.Justification})
		}
	}
	for _, n := range r.notes {
		rows = append(rows, []string{"note", n})
	}
	r.st.Tables = append(r.st.Tables, report.Table{Title: "Release " + p.Tag, Header: []string{"", ""}, Rows: rows})
	if len(r.rows) > 0 {
		r.st.Tables = append(r.st.Tables, report.Table{Title: "Published", Header: []string{"what", "where", "result"}, Rows: r.rows})
	}
	// The structured record for tools and the publish job: plan,
	// decision, gate and what was published.
	rec := map[string]any{"target": r.st.Target, "version_from": r.found.From, "plan": p, "decision": r.decision,
		"refused": errString(r.guardErr), "gate": r.gate, "published": r.rows, "notes": r.notes}
	path := filepath.Join(r.ws.Out, "release", strings.ReplaceAll(r.st.Target, ":", "-")+".json")
	if err := report.WriteJSON(path, rec); err != nil {
		fmt.Fprintf(r.st.Log, "    warning: %v\n", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (r *run) publishRow(what, where, result string) {
	r.rows = append(r.rows, []string{what, where, result})
	fmt.Fprintf(r.st.Out, "%-8s %s: %s\n", what, where, result)
}

// logFile opens a log in the stage's log directory.
func (r *run) logFile(name string) (*os.File, string, error) {
	if err := os.MkdirAll(r.st.LogDir, 0o755); err != nil {
		return nil, "", fmt.Errorf("release: create %s: %w", r.st.LogDir, err)
	}
	p := filepath.Join(r.st.LogDir, name)
	f, err := os.Create(p)
	if err != nil {
		return nil, "", fmt.Errorf("release: create %s: %w", p, err)
	}
	return f, p, nil
}
