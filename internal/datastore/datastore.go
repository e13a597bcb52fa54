// Package datastore opens a workspace's history store, where records
// outlive a run (nightly results and status, suite durations, dependency
// maps): always a local directory, and the shared git data repository
// when one is configured. Writes to the repository run after an
// interrupt too, bounded by PublishTimeout; reads fall back on the local
// store when the repository cannot be fetched.
package datastore

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/datastore/gitstore"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Defaults for empty [nightly.git] fields.
const (
	DefaultTokenEnv = "TPUCI_NIGHTLY_GIT_TOKEN"
	DefaultDir      = "nightly" // the store's directory in the data repository ("." for its root)
)

// PublishTimeout bounds a write to the data repository, which also runs
// after an interrupt, and a fetch of it.
const PublishTimeout = 5 * time.Minute

// Store is a workspace's history store.
type Store struct {
	Local    string         // the local store's directory
	Git      *gitstore.Repo // the shared data repository; nil: local only
	Sub      string         // the store's directory inside the data repository
	TraceURL string         // public base URL of the data repository's files
}

// Open resolves the store of a workspace: TPUCI_NIGHTLY_HISTORY, else
// [nightly].history (relative to the repository), else
// $TPUCI_OUT/../tpuci-history; the data repository as Repo says, its
// working copy in $TPUCI_OUT/nightly/data-repo.
func Open(ws *workspace.Workspace, log io.Writer) *Store {
	local := ws.Settings.Nightly.History
	if local == "" {
		local = ws.Config.Nightly.History
		if local != "" && !filepath.IsAbs(local) {
			local = filepath.Join(ws.Repo, local)
		}
	}
	if local == "" {
		local = filepath.Join(filepath.Dir(filepath.Clean(ws.Out)), "tpuci-history")
	}
	return &Store{Local: local, Git: Repo(ws, filepath.Join(ws.Out, "nightly", "data-repo"), log),
		Sub: Sub(ws.Config), TraceURL: strings.TrimRight(ws.Config.Nightly.Git.TraceURL, "/")}
}

// Repo is the data repository of a workspace with its working copy in
// dir: TPUCI_NIGHTLY_GIT, else [nightly.git].url, a URL or a path
// relative to the repository; nil when neither names one or it is
// "none". Its token is TPUCI_NIGHTLY_GIT_TOKEN unless
// [nightly.git].token_env names another variable.
func Repo(ws *workspace.Workspace, dir string, log io.Writer) *gitstore.Repo {
	g := ws.Config.Nightly.Git
	url := g.URL
	if v := ws.Settings.NightlyGit; v != "" {
		url = v
	}
	if url == "" || url == "none" {
		return nil
	}
	token := ws.Settings.NightlyGitToken
	if g.TokenEnv != "" && g.TokenEnv != DefaultTokenEnv {
		token = ws.Settings.Credential(g.TokenEnv)
	}
	if !strings.Contains(url, "://") && !strings.Contains(url, "@") && !filepath.IsAbs(url) {
		url = filepath.Join(ws.Repo, url)
	}
	return &gitstore.Repo{URL: url, Branch: g.Branch, Dir: dir, Token: token.Reveal(), Log: log}
}

// Sub is the store's directory inside the data repository:
// [nightly.git].dir, else DefaultDir.
func Sub(c *config.Config) string {
	if d := c.Nightly.Git.Dir; d != "" {
		return filepath.Clean(d)
	}
	return DefaultDir
}

// Shared is the directory of the history the next run is judged on: the
// data repository's working copy when there is one, else the local store.
func (s *Store) Shared() string {
	if s.Git != nil {
		return filepath.Join(s.Git.Dir, s.Sub)
	}
	return s.Local
}

// Describe names the stores for logs.
func (s *Store) Describe() string {
	d := "local store " + s.Local
	if s.Git != nil {
		d += "; shared store " + gitstore.Redact(s.Git.URL) + " (" + s.Sub + "/)"
	}
	return d
}

// Update writes to the data repository in one commit, replayed on the
// new tip when another job pushed first; apply gets the store's
// directory in the working copy. Without a data repository it does
// nothing. The store's lock file is never committed.
func (s *Store) Update(ctx context.Context, msg string, apply func(dir string) error) error {
	if s.Git == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PublishTimeout)
	defer cancel()
	_, err := s.Git.Update(ctx, msg, func(root string) error {
		return apply(filepath.Join(root, s.Sub))
	}, filepath.ToSlash(filepath.Join(s.Sub, ".lock")))
	return err
}

// Read returns the directory of sub (records of one kind) in the shared
// history, and names it: the data repository's, fetched now, when there
// is one; else, or when it cannot be fetched (a warning on log), the
// local store's.
func (s *Store) Read(ctx context.Context, log io.Writer, sub string) (dir, where string) {
	local := filepath.Join(s.Local, sub)
	if s.Git == nil {
		return local, local
	}
	ctx, cancel := context.WithTimeout(ctx, PublishTimeout)
	defer cancel()
	if err := s.Git.Sync(ctx); err != nil {
		fmt.Fprintf(log, "%s: %v; using the local store %s\n", sub, err, local)
		return local, local
	}
	rel := filepath.Join(s.Sub, sub)
	return filepath.Join(s.Git.Dir, rel), gitstore.Redact(s.Git.URL) + " (" + rel + "/)"
}
