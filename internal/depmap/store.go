package depmap

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/sgl-project/tpuci/internal/nightly"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// publishTimeout bounds a push, which also runs after an interrupt.
const publishTimeout = 5 * time.Minute

// Save adds a record to the nightly's local history store and, when it
// has one, to its git data repository, under depmap/.
func Save(ctx context.Context, ws *workspace.Workspace, log io.Writer, r Record) error {
	ns := nightly.OpenStores(ws, log)
	if err := (Dir{Root: filepath.Join(ns.Local.Root, Subdir)}).Add(r); err != nil {
		return err
	}
	if ns.Git == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	_, err := ns.Git.Update(ctx, fmt.Sprintf("depmap: %d test files at %s", len(r.Tests), r.Commit), func(root string) error {
		return Dir{Root: filepath.Join(root, ns.GitSub, Subdir)}.Add(r)
	})
	return err
}

// Load reads the shared map: the data repository's when there is one
// (the local store if it cannot be fetched), else the local store's.
func Load(ctx context.Context, ws *workspace.Workspace, log io.Writer) (Map, error) {
	ns := nightly.OpenStores(ws, log)
	if ns.Git != nil {
		ctx, cancel := context.WithTimeout(ctx, publishTimeout)
		defer cancel()
		if err := ns.Git.Sync(ctx); err == nil {
			return Dir{Root: filepath.Join(ns.Git.Dir, ns.GitSub, Subdir)}.Load()
		}
		fmt.Fprintf(log, "depmap: cannot fetch the data repository; using the local store\n")
	}
	return Dir{Root: filepath.Join(ns.Local.Root, Subdir)}.Load()
}
