package release

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/release/plan"
	"github.com/sgl-project/tpuci/internal/release/pypi"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Version is the body of release:version: it prints the version, its
// tag, whether it is a pre-release, whether latest moves, the whole plan
// and whether this run would publish, and sets the matching GitHub
// outputs (version, tag, is_prerelease, update_latest, channel, publish).
func Version(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	r, err := begin(ctx, ws, st)
	if err != nil {
		return err
	}
	_ = r.distName() // best effort: without it the plan has no PyPI part
	if r.s.Image != "" {
		if err := r.step("registry", func() (string, error) { return r.readRegistry(ctx) }); err != nil {
			return err
		}
	}
	if err := r.makePlan(r.s.Image != "", r.s.DistName != ""); err != nil {
		return err
	}
	p := r.plan
	p.Render(st.Out)
	if r.guardErr != nil {
		fmt.Fprintf(st.Out, "publish:    refused: %v\n", r.guardErr)
	} else {
		fmt.Fprintf(st.Out, "publish:    %t (%s)\n", r.decision.Publish, r.decision.Why)
	}
	for _, n := range r.notes {
		fmt.Fprintf(st.Out, "note:       %s\n", n)
	}
	outputs := [][2]string{{"version", p.Version}, {"tag", p.Tag}, {"is_prerelease", fmt.Sprint(p.Prerelease)},
		{"update_latest", fmt.Sprint(p.Latest)}, {"channel", string(p.Channel)}, {"publish", fmt.Sprint(r.decision.Publish && r.guardErr == nil)}}
	for _, o := range outputs {
		if err := st.GH.SetOutput(o[0], o[1]); err != nil {
			return fmt.Errorf("release: GitHub output %s: %w", o[0], err)
		}
	}
	r.summary()
	return nil
}

// distName fills in the distribution name from pyproject.toml.
func (r *run) distName() error {
	if r.s.DistName != "" {
		return nil
	}
	n, err := pypi.ProjectName(filepath.Join(r.s.PackageDir, "pyproject.toml"))
	if err != nil {
		r.notes = append(r.notes, err.Error())
		return err
	}
	r.s.DistName = n
	return nil
}

// PyPI is the body of release:pypi.
func PyPI(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	r, err := begin(ctx, ws, st)
	if err != nil {
		return err
	}
	if r.s.Channel == plan.Nightly {
		return pipeline.Skip("nightlies are not uploaded to PyPI (its files are immutable; a nightly has no unique version)")
	}
	if err := r.step("project", func() (string, error) { return r.s.DistName, r.distName() }); err != nil {
		return err
	}
	if err := r.makePlan(false, true); err != nil {
		return err
	}
	defer r.summary()
	if err := r.guards(ctx); err != nil {
		return err
	}
	return r.pypi(ctx)
}

// Docker is the body of release:docker.
func Docker(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	r, err := begin(ctx, ws, st)
	if err != nil {
		return err
	}
	if r.s.Image == "" {
		return pipeline.Skip("no image configured ([release].image or %s)", EnvImage)
	}
	return r.docker(ctx)
}
