package depmap

import (
	"context"
	"fmt"
	"io"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Save adds a record to the workspace's history store, under depmap/ in
// its local directory and, when it has one, in its git data repository.
func Save(ctx context.Context, ws *workspace.Workspace, log io.Writer, r Record) error {
	msg := fmt.Sprintf("depmap: %d test files at %s", len(r.Tests), r.Commit)
	return datastore.Open(ws, log).Add(ctx, Subdir, msg, func(dir string) error {
		return Dir{Root: dir}.Add(r)
	})
}

// Load reads the shared map: the data repository's when there is one
// (the local store if it cannot be fetched), else the local store's.
func Load(ctx context.Context, ws *workspace.Workspace, log io.Writer) (Map, error) {
	dir, _ := datastore.Open(ws, log).Read(ctx, log, Subdir)
	return Dir{Root: dir}.Load()
}
