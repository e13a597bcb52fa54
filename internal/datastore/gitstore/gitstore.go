// Package gitstore keeps history records in a shared git data repository
// (as SGLang-JAX's ci-data): each writer fetches the branch tip, applies its
// change to the files, commits and pushes. When another job pushed first
// the push is rejected; the writer then fetches the new tip and applies
// its change again on top of it (a rebase by replay, so the files merge
// record by record instead of line by line) until the push goes through.
// No record of either writer is lost.
package gitstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/textline"
)

// DefaultAttempts bounds how often Update replays its change after
// rejected pushes.
const DefaultAttempts = 10

// Repo is a working copy of one branch of the data repository.
type Repo struct {
	URL      string // clone URL or path of the data repository
	Branch   string // default main
	Dir      string // local working copy, created on first use
	Token    string // HTTPS token sent as a header (never on the command line)
	Attempts int    // default DefaultAttempts
	Log      io.Writer

	beforePush func() // tests: runs between commit and push
}

// Result says how an update went.
type Result struct {
	Changed  bool   // false: the files already had the change
	Commit   string // the pushed commit
	Attempts int    // pushes tried
}

// check refuses a URL or branch that git could read as an option or that
// holds a control character: both come from settings or the config.
func (r *Repo) check() error {
	if why := gitcmd.RemoteProblem(r.URL); why != "" {
		return fmt.Errorf("git store: repository URL %q %s: name a URL or a path", r.URL, why)
	}
	if err := gitcmd.CheckBranch("git store: branch", r.branch()); err != nil {
		return err
	}
	return nil
}

func (r *Repo) branch() string {
	if r.Branch == "" {
		return "main"
	}
	return r.Branch
}

func (r *Repo) log(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// Sync makes the working copy the branch's tip on the remote, dropping
// any local change. A branch that does not exist yet starts empty.
func (r *Repo) Sync(ctx context.Context) error {
	if r.URL == "" {
		return errors.New("git store: no repository URL")
	}
	if err := r.check(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(r.Dir, ".git")); err != nil {
		if err := os.MkdirAll(r.Dir, 0o755); err != nil {
			return fmt.Errorf("git store: create %s: %w", r.Dir, err)
		}
		if _, err := r.git(ctx, "init", "-q"); err != nil {
			return err
		}
		if _, err := r.git(ctx, "remote", "add", "--end-of-options", "origin", r.URL); err != nil {
			return err
		}
	} else if _, err := r.git(ctx, "remote", "set-url", "--end-of-options", "origin", r.URL); err != nil {
		return err
	}
	ref := "refs/heads/" + r.branch()
	heads, err := r.git(ctx, "ls-remote", "origin", ref)
	if err != nil {
		return err
	}
	if strings.TrimSpace(heads) == "" {
		// Unborn branch: start from an empty tree.
		for _, args := range [][]string{
			{"symbolic-ref", "HEAD", ref},
			{"update-ref", "-d", ref},
			{"read-tree", "--empty"},
			{"clean", "-fdq"},
		} {
			if _, err := r.git(ctx, args...); err != nil {
				return err
			}
		}
		return nil
	}
	for _, args := range [][]string{
		{"fetch", "-q", "--depth=1", "origin", "+" + ref + ":refs/remotes/origin/" + r.branch()},
		{"checkout", "-q", "-f", "-B", r.branch(), "refs/remotes/origin/" + r.branch()},
		{"clean", "-fdq"},
	} {
		if _, err := r.git(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// Update applies a change to the working copy (apply gets its root) and
// pushes it as one commit, replaying it on the new tip after each
// rejected push. Paths matching exclude (git pathspecs relative to the
// root, e.g. "nightly/.lock") are never committed.
func (r *Repo) Update(ctx context.Context, message string, apply func(root string) error, exclude ...string) (Result, error) {
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	var res Result
	for res.Attempts < attempts {
		if err := r.Sync(ctx); err != nil {
			return res, err
		}
		if err := apply(r.Dir); err != nil {
			return res, fmt.Errorf("git store: apply change: %w", err)
		}
		add := []string{"add", "-A", "--", "."}
		for _, x := range exclude {
			add = append(add, ":(exclude)"+x)
		}
		if _, err := r.git(ctx, add...); err != nil {
			return res, err
		}
		if _, err := r.git(ctx, "diff", "--cached", "--quiet"); err == nil {
			return res, nil // nothing to commit
		}
		if _, err := r.git(ctx, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message); err != nil {
			return res, err
		}
		if r.beforePush != nil {
			r.beforePush()
		}
		res.Attempts++
		out, err := r.git(ctx, "push", "-q", "origin", "HEAD:refs/heads/"+r.branch())
		if err == nil {
			res.Changed = true
			sha, err := r.git(ctx, "rev-parse", "HEAD")
			res.Commit = strings.TrimSpace(sha)
			return res, err
		}
		if !rejected(out + err.Error()) {
			return res, err
		}
		wait := backoff(res.Attempts)
		r.log("    git store: push rejected (another job pushed first); replaying the change on the new tip in %s (attempt %d of %d)", wait.Round(time.Millisecond), res.Attempts+1, attempts)
		select {
		case <-ctx.Done():
			return res, context.Cause(ctx)
		case <-time.After(wait):
		}
	}
	return res, fmt.Errorf("git store: push to %s rejected %d times: other jobs kept pushing first; rerun to record the results (they are also in the local store)", Redact(r.URL), attempts)
}

// rejected reports a push that lost a race and can be replayed.
func rejected(out string) bool {
	for _, s := range []string{"[rejected]", "[remote rejected]", "non-fast-forward", "fetch first", "cannot lock ref", "failed to update ref", "stale info", "incorrect old value"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// backoff is a jittered exponential wait: 50ms, 100ms, ... capped at 5s.
func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << min(attempt-1, 7)
	d = min(d, 5*time.Second)
	return d/2 + time.Duration(rand.Int64N(int64(d)))
}

func (r *Repo) env() []string {
	env := []string{"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true", "LC_ALL=C"}
	for _, kv := range [][2]string{
		{"GIT_AUTHOR_NAME", "tpuci nightly"}, {"GIT_AUTHOR_EMAIL", "tpuci-nightly@localhost"},
		{"GIT_COMMITTER_NAME", "tpuci nightly"}, {"GIT_COMMITTER_EMAIL", "tpuci-nightly@localhost"},
	} {
		if os.Getenv(kv[0]) == "" {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	if r.Token != "" {
		auth := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + r.Token))
		env = append(env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: Basic "+auth)
	}
	return env
}

// git runs one git command in the working copy and returns its output.
func (r *Repo) git(ctx context.Context, args ...string) (string, error) {
	out, err := gitcmd.Repo{Dir: r.Dir, Env: r.env(), Timeout: 10 * time.Minute}.Output(ctx, args...)
	if err != nil {
		msg := string(out)
		var gerr *gitcmd.Error
		if errors.As(err, &gerr) {
			msg += "\n" + gerr.Stderr
		}
		msg = strings.TrimSpace(msg)
		if r.Token != "" {
			msg = strings.ReplaceAll(msg, r.Token, "***")
		}
		return msg, fmt.Errorf("git store: git %s: %s", args[0], textline.Tail(msg, 4))
	}
	return string(out), nil
}

// Redact drops credentials from a URL for messages.
func Redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 && strings.Contains(u[:i], "://") {
		return u[:strings.Index(u, "://")+3] + "***" + u[i:]
	}
	return u
}
