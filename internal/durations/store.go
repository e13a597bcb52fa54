package durations

import (
	"context"
	"fmt"
	"io"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Stores are where duration records live: the workspace's history store,
// under durations/ in its local directory and, when it has one, in its git
// data repository.
type Stores struct{ store *datastore.Store }

// Open resolves the stores of a workspace.
func Open(ws *workspace.Workspace, log io.Writer) Stores {
	return Stores{datastore.Open(ws, log)}
}

// Record adds a run to the local store and to the data repository.
func (s Stores) Record(ctx context.Context, r Run) error {
	return s.store.Add(ctx, Subdir, fmt.Sprintf("durations: %s of %s (%s)", r.Target, r.Commit, r.Event), func(dir string) error {
		return Dir{Root: dir}.Add(r)
	})
}

// Runs reads the shared history: the data repository's when there is
// one (the local store if it cannot be fetched), else the local store.
// It also names the store it read.
func (s Stores) Runs(ctx context.Context, log io.Writer) ([]Run, string, error) {
	dir, where := s.store.Read(ctx, log, Subdir)
	runs, err := Dir{Root: dir}.Runs()
	return runs, where, err
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
