package accuracy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgl-project/tpuci/internal/casestage"
	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/partition"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body is the accuracy target: the case-stage skeleton with accuracy's
// plan; its run evaluates each case against its server and judges the
// score against the baselines.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	t := casestage.Target[Case]{
		Name:   "accuracy",
		Plan:   planJob,
		Server: func(c Case) *config.Server { return c.Server },
		Run:    run,
	}
	if len(ws.Config.Accuracy.Cases) == 0 {
		t.Unconfigured = "no accuracy cases configured (add [[accuracy.case]] blocks)"
	}
	return casestage.Run(ctx, ws, st, t)
}

// planJob is PlanCases for this job.
func planJob(ws *workspace.Workspace, part partition.Spec) (casestage.Plan[Case], error) {
	p, err := PlanCases(ws.Config, ws.Chips, part, ws.Settings.Cases)
	if err != nil {
		return casestage.Plan[Case]{}, err
	}
	return casestage.Plan[Case]{Run: p.Run, Skipped: p.Skipped, Note: p.Note}, nil
}

// run evaluates the planned cases and judges their scores.
func run(ctx context.Context, j *casestage.Job[Case]) error {
	ws, st := j.WS, j.St
	base, err := LoadBaselines(BaselinesPath(ws), true)
	if err != nil {
		return err
	}
	if base.Builtin {
		fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    baselines: %s does not exist; using tpuci's built-in SGLang-JAX baselines (accuracy:baseline creates it)", base.Path)))
	}
	store, err := NewStore(ws)
	if err != nil {
		return err
	}
	store.Log = st.Log
	r := &Runner{
		Servers: j.Servers, Store: store, Baselines: base, OutDir: ResultDir(ws.Out), Commit: ws.Commit, Log: st.Log,
		Group: st.GH.Group, EndGroup: st.GH.EndGroup,
	}
	rep := r.Run(ctx, j.Cases)
	st.Cases = append(st.Cases, rep.Cases...)
	st.Failures = append(st.Failures, rep.Failures...)
	if len(rep.Table.Rows) > 0 {
		st.Tables = append(st.Tables, rep.Table)
	}
	return nil
}

// BaselinesPath is the baselines file of the checkout.
func BaselinesPath(ws *workspace.Workspace) string {
	p := ws.Config.Accuracy.Baselines
	if p == "" {
		p = DefaultBaselines
	}
	return filepath.Join(ws.Repo, p)
}

// DefaultBaselines is where a checkout keeps its accuracy baselines when
// [accuracy].baselines is not set.
const DefaultBaselines = "tpuci/baselines/accuracy.toml"

// NewStore finds datasets in [accuracy].data_dir (relative to the
// checkout) and the download cache: TPUCI_EVAL_CACHE, else
// [accuracy].cache_dir, else <user cache>/tpuci/eval. TPUCI_OFFLINE=1
// forbids downloads.
func NewStore(ws *workspace.Workspace) (*eval.Store, error) {
	a := ws.Config.Accuracy
	s := &eval.Store{Offline: ws.Settings.Offline}
	if a.DataDir != "" {
		s.DataDir = filepath.Join(ws.Repo, a.DataDir)
	}
	switch {
	case ws.Settings.EvalCache != "":
		s.CacheDir = ws.Settings.EvalCache
	case a.CacheDir != "":
		s.CacheDir = a.CacheDir
		if strings.HasPrefix(s.CacheDir, "~/") {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("accuracy: [accuracy].cache_dir %s: %w", a.CacheDir, err)
			}
			s.CacheDir = filepath.Join(home, s.CacheDir[2:])
		} else if !filepath.IsAbs(s.CacheDir) {
			s.CacheDir = filepath.Join(ws.Repo, s.CacheDir)
		}
	default:
		dir, err := os.UserCacheDir()
		if err != nil || dir == "" {
			dir = os.TempDir()
		}
		s.CacheDir = filepath.Join(dir, "tpuci", "eval")
	}
	return s, nil
}

// Check plans this job's cases without running anything, so that an
// unknown name in the settings or too many partitions fail before any
// target runs.
func Check(ws *workspace.Workspace, part partition.Spec) error {
	_, err := planJob(ws, part)
	return err
}
