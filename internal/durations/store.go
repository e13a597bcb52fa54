package durations

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/sgl-project/tpuci/internal/nightly"
	"github.com/sgl-project/tpuci/internal/nightly/gitstore"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Stores are where duration records live: the nightly's local history
// store and, when the nightly has one, its git data repository, each
// under durations/.
type Stores struct {
	Local Dir
	git   *gitstore.Repo
	sub   string // the records' directory inside the data repository
}

// Open resolves the stores of a workspace as the nightly does.
func Open(ws *workspace.Workspace, log io.Writer) Stores {
	ns := nightly.OpenStores(ws, log)
	s := Stores{Local: Dir{Root: filepath.Join(ns.Local.Root, Subdir)}}
	if ns.Git != nil {
		s.git, s.sub = ns.Git, filepath.Join(ns.GitSub, Subdir)
	}
	return s
}

// publishTimeout bounds a push, which also runs after an interrupt.
const publishTimeout = 5 * time.Minute

// Record adds a run to the local store and to the data repository.
func (s Stores) Record(ctx context.Context, r Run) error {
	if err := s.Local.Add(r); err != nil {
		return err
	}
	if s.git == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	msg := fmt.Sprintf("durations: %s of %s (%s)", r.Target, r.Commit, r.Event)
	_, err := s.git.Update(ctx, msg, func(root string) error {
		return Dir{Root: filepath.Join(root, s.sub)}.Add(r)
	})
	return err
}

// Runs reads the shared history: the data repository's when there is
// one (the local store if it cannot be fetched), else the local store.
// It also names the store it read.
func (s Stores) Runs(ctx context.Context, log io.Writer) ([]Run, string, error) {
	if s.git != nil {
		ctx, cancel := context.WithTimeout(ctx, publishTimeout)
		defer cancel()
		if err := s.git.Sync(ctx); err != nil {
			fmt.Fprintf(log, "durations: %v; using the local store %s\n", err, s.Local.Root)
		} else {
			runs, err := Dir{Root: filepath.Join(s.git.Dir, s.sub)}.Runs()
			return runs, gitstore.Redact(s.git.URL) + " (" + s.sub + "/)", err
		}
	}
	runs, err := s.Local.Runs()
	return runs, s.Local.Root, err
}

// Weights are the minutes a run weighs suite files by, and where they
// came from.
type Weights struct {
	Figures map[string]Figure // per measured file
	Source  string            // "TPUCI_DURATIONS=<file>", "median of the last N runs in <store>" or ""
}

// Minutes is the file -> minutes map for plans and partitions.
func (w Weights) Minutes() map[string]float64 { return Minutes(w.Figures) }

// Load returns the weights of a workspace: the file TPUCI_DURATIONS names
// when set (one earlier run), else the medians of the last [ci].history
// runs in the stores.
func Load(ctx context.Context, ws *workspace.Workspace, log io.Writer) (Weights, error) {
	if path := ws.Settings.Durations; path != "" {
		m, err := LoadMeasured(path)
		if err != nil {
			return Weights{}, err
		}
		figs := map[string]Figure{}
		for f, v := range m {
			figs[f] = Figure{Minutes: v, Runs: 1}
		}
		return Weights{Figures: figs, Source: "TPUCI_DURATIONS=" + path}, nil
	}
	s := Open(ws, log)
	runs, where, err := s.Runs(ctx, log)
	if err != nil {
		return Weights{}, err
	}
	if len(runs) == 0 {
		return Weights{}, nil
	}
	n := ws.Config.CI.Runs()
	return Weights{Figures: Medians(runs, n), Source: fmt.Sprintf("median of the last %d measured runs (%d in %s)", n, len(runs), where)}, nil
}
