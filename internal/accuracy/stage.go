package accuracy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgl-project/tpuci/internal/eval"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Body is the accuracy target: plan the cases of this job, start their
// servers, evaluate, judge against the baselines and report.
func Body(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage) error {
	cfg := ws.Config
	if len(cfg.Accuracy.Cases) == 0 {
		return pipeline.Skip("no accuracy cases configured (add [[accuracy.case]] blocks)")
	}
	plan, err := PlanCases(cfg, ws.Chips, st.Partition, ws.Settings.Cases)
	if err != nil {
		return err
	}
	st.Cases = append(st.Cases, plan.Skipped...)
	for _, s := range plan.Skipped {
		fmt.Fprintf(st.Log, "    skip case %s: %s\n", s.Name, s.Message)
	}
	if plan.Note != "" {
		fmt.Fprintf(st.Log, "    %s\n", plan.Note)
	}
	if len(plan.Run) == 0 {
		return pipeline.Skip("no accuracy case to run here: %s", ws.Chips.Describe())
	}
	base, err := LoadBaselines(BaselinesPath(ws), true)
	if err != nil {
		return err
	}
	if base.Builtin {
		fmt.Fprintf(st.Log, "    baselines: %s does not exist; using tpuci's built-in SGLang-JAX baselines (accuracy:baseline creates it)\n", base.Path)
	}
	store, err := NewStore(ws)
	if err != nil {
		return err
	}
	store.Log = st.Log
	if !ws.Chips.CPU {
		lock, err := st.LockChips(ctx, ws)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	m := pipeline.Servers(ws, st, ws.Repo, st.LogDir)
	defer m.Close()
	r := &Runner{
		Servers: m, Store: store, Baselines: base, OutDir: ResultDir(ws.Out), Commit: ws.Commit, Log: st.Log,
		Group: st.GH.Group, EndGroup: st.GH.EndGroup,
	}
	rep := r.Run(ctx, plan.Run)
	st.Cases = append(st.Cases, rep.Cases...)
	st.Failures = append(st.Failures, rep.Failures...)
	if len(rep.Table.Rows) > 0 {
		st.Tables = append(st.Tables, rep.Table)
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
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
