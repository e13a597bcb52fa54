package nightly

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/nightly/gitstore"
	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Environment overrides of the stores.
const (
	EnvHistory         = "TPUCI_NIGHTLY_HISTORY" // local store directory
	EnvGit             = "TPUCI_NIGHTLY_GIT"     // data repository URL ("none" disables a configured one)
	DefaultGitTokenEnv = "TPUCI_NIGHTLY_GIT_TOKEN"
	DefaultGitDir      = "nightly" // the store's directory in the data repository ("." for its root)
)

// Stores are where results go: always the local store, and the shared git
// data repository when one is configured.
type Stores struct {
	Local    history.Dir
	Git      *gitstore.Repo // nil: local only
	GitSub   string         // directory of the store inside the data repository
	TraceURL string         // public base URL of the data repository's files
}

// OpenStores resolves the stores of a workspace: TPUCI_NIGHTLY_HISTORY,
// else [nightly].history (relative to the repository), else
// $TPUCI_OUT/../tpuci-history; TPUCI_NIGHTLY_GIT, else [nightly.git].url.
func OpenStores(ws *workspace.Workspace, log io.Writer) *Stores {
	n := ws.Config.Nightly
	local := ws.Settings.Nightly.History
	if local == "" {
		local = n.History
		if local != "" && !filepath.IsAbs(local) {
			local = filepath.Join(ws.Repo, local)
		}
	}
	if local == "" {
		local = filepath.Join(filepath.Dir(filepath.Clean(ws.Out)), "tpuci-history")
	}
	sub := n.Git.Dir
	if sub == "" {
		sub = DefaultGitDir
	}
	s := &Stores{Local: history.Dir{Root: local}, GitSub: filepath.Clean(sub), TraceURL: strings.TrimRight(n.Git.TraceURL, "/")}
	url := n.Git.URL
	if v := ws.Settings.NightlyGit; v != "" {
		url = v
	}
	if url != "" && url != "none" {
		token := ws.Settings.NightlyGitToken
		if n.Git.TokenEnv != "" && n.Git.TokenEnv != DefaultGitTokenEnv {
			token = ws.Settings.Credential(n.Git.TokenEnv)
		}
		if !strings.Contains(url, "://") && !strings.Contains(url, "@") && !filepath.IsAbs(url) {
			url = filepath.Join(ws.Repo, url) // a path relative to the repository
		}
		s.Git = &gitstore.Repo{URL: url, Branch: n.Git.Branch, Dir: filepath.Join(ws.Out, "nightly", "data-repo"),
			Token: token.Reveal(), Log: log}
	}
	return s
}

// Shared is the store that holds the history regressions are judged on:
// the data repository's working copy when there is one, else the local store.
func (s *Stores) Shared() history.Dir {
	if s.Git != nil {
		return history.Dir{Root: filepath.Join(s.Git.Dir, s.GitSub)}
	}
	return s.Local
}

// Describe names the stores for logs.
func (s *Stores) Describe() string {
	d := "local store " + s.Local.Root
	if s.Git != nil {
		d += "; shared store " + gitstore.Redact(s.Git.URL)
		if s.GitSub != "" {
			d += " (" + s.GitSub + "/)"
		}
	}
	return d
}

// publishTimeout bounds publishing, which also runs after an interrupt.
const publishTimeout = 5 * time.Minute

// Publish writes records (and, when a trace URL is configured, their
// trace files) to the data repository in one commit.
func (s *Stores) Publish(ctx context.Context, night string, recs []history.Record, msg string) error {
	if s.Git == nil || len(recs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	_, err := s.Git.Update(ctx, msg, func(root string) error {
		store := history.Dir{Root: filepath.Join(root, s.GitSub)}
		return store.Put(recs)
	}, s.exclude()...)
	return err
}

// PublishTraces copies trace files into the data repository under
// traces/<night>/<model>/ and returns their public URLs by local path.
func (s *Stores) PublishTraces(ctx context.Context, night string, traces map[string]string, msg string) (map[string]string, error) {
	if s.Git == nil || s.TraceURL == "" || len(traces) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	urls := map[string]string{}
	_, err := s.Git.Update(ctx, msg, func(root string) error {
		for local, model := range traces {
			info, err := os.Stat(local)
			if err != nil {
				return err
			}
			if info.Size() > maxPublishedTrace {
				continue // too big for a git data repository; the artifact keeps it
			}
			rel := filepath.ToSlash(filepath.Join(s.GitSub, "traces", night, model, filepath.Base(local)))
			data, err := os.ReadFile(local)
			if err != nil {
				return err
			}
			dst := filepath.Join(root, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				return err
			}
			urls[local] = s.TraceURL + "/" + rel
		}
		return nil
	}, s.exclude()...)
	return urls, err
}

// maxPublishedTrace keeps traces under GitHub's file size limit.
const maxPublishedTrace = 50 << 20

// PublishStatus writes the status record to the data repository.
func (s *Stores) PublishStatus(ctx context.Context, st *history.Status, msg string) error {
	if s.Git == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	_, err := s.Git.Update(ctx, msg, func(root string) error {
		return history.WriteStatus(filepath.Join(root, s.GitSub, history.StatusFile), st)
	}, s.exclude()...)
	return err
}

// Sync refreshes the data repository's working copy (the history that
// regressions are judged on).
func (s *Stores) Sync(ctx context.Context) error {
	if s.Git == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	return s.Git.Sync(ctx)
}

func (s *Stores) exclude() []string {
	return []string{filepath.ToSlash(filepath.Join(s.GitSub, ".lock"))}
}
