package nightly

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// nightStores are where results go: the workspace's history store, its local
// directory always and its git data repository when one is configured,
// read and written as night records.
type nightStores struct{ *datastore.Store }

func openStores(ws *workspace.Workspace, log io.Writer) nightStores {
	return nightStores{datastore.Open(ws, log)}
}

// local is the local store.
func (s nightStores) local() history.Dir { return history.Dir{Root: s.Local} }

// shared is the store that holds the history regressions are judged on:
// the data repository's working copy when there is one, else the local store.
func (s nightStores) shared() history.Dir { return history.Dir{Root: s.Shared()} }

// publish writes records to the data repository in one commit.
func (s nightStores) publish(ctx context.Context, recs []history.Record, msg string) error {
	if len(recs) == 0 {
		return nil
	}
	return s.Update(ctx, msg, func(dir string) error {
		return history.Dir{Root: dir}.Put(recs)
	})
}

// publishTraces copies trace files into the data repository under
// traces/<night>/<model>/ and returns their public URLs by local path.
func (s nightStores) publishTraces(ctx context.Context, night string, traces map[string]string, msg string) (map[string]string, error) {
	if s.Git == nil || s.TraceURL == "" || len(traces) == 0 {
		return nil, nil
	}
	urls := map[string]string{}
	err := s.Update(ctx, msg, func(dir string) error {
		for local, model := range traces {
			info, err := os.Stat(local)
			if err != nil {
				return err
			}
			if info.Size() > maxPublishedTrace {
				continue // too big for a git data repository; the artifact keeps it
			}
			rel := filepath.Join("traces", night, model, filepath.Base(local))
			data, err := os.ReadFile(local)
			if err != nil {
				return err
			}
			dst := filepath.Join(dir, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				return err
			}
			urls[local] = s.TraceURL + "/" + filepath.ToSlash(filepath.Join(s.Sub, rel))
		}
		return nil
	})
	return urls, err
}

// maxPublishedTrace keeps traces under GitHub's file size limit.
const maxPublishedTrace = 50 << 20

// publishStatus writes the status record to the data repository.
func (s nightStores) publishStatus(ctx context.Context, st *history.Status, msg string) error {
	return s.Update(ctx, msg, func(dir string) error {
		return history.WriteStatus(filepath.Join(dir, history.StatusFile), st)
	})
}
