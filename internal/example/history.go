package example

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/gitcmd"
)

// history is the git history Extract gives the tree, so that what works
// in a clone (TPUCI_COMPARE=HEAD~1, reusing stages that passed for the
// commit, ci:plan's changed files) works on the example too. Identity and
// dates are fixed: the same content has the same commit SHAs everywhere.
//
// Base (HEAD~1) lacks Line in File; Branch, checked out, adds it: a
// change of one harmless docstring, judged against Base like a pull
// request against main.
var history = struct {
	Name, Email        string
	Base, Branch       string
	BaseDate, HeadDate string
	BaseMsg, HeadMsg   string
	File, Line         string
}{
	Name: "tpuci example", Email: "example@tpuci.invalid",
	Base: "main", Branch: "document-sampling",
	BaseDate: "2025-01-01T00:00:00+0000", HeadDate: "2025-01-02T00:00:00+0000",
	BaseMsg: "example: an SGLang-JAX-shaped repository\n",
	HeadMsg: "sampling: document SamplingParams.from_dict\n",
	File:    "python/sgl_jax/srt/sampling/sampling_params.py",
	Line:    `        """Build from a request's JSON object; unknown keys are an error, not silently ignored."""` + "\n",
}

// historyTimeout bounds the whole history: a handful of local commands.
const historyTimeout = 2 * time.Minute

// HasGit reports whether git is on PATH; without it Extract writes the
// tree alone.
func HasGit() bool {
	_, err := exec.LookPath("git")
	return err == nil
}

// HasHistory reports whether root (an extracted example) is a git
// repository.
func HasHistory(root string) bool {
	st, err := os.Stat(filepath.Join(root, ".git"))
	return err == nil && st.IsDir()
}

// commitHistory makes dir (holding the whole tree) a repository with
// history's two commits, HEAD on history.Branch.
func commitHistory(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
	defer cancel()
	path := filepath.Join(dir, filepath.FromSlash(history.File))
	head, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("example: history: read %s: %w", history.File, err)
	}
	if strings.Count(string(head), history.Line) != 1 {
		return fmt.Errorf("example: history: %s must hold the line HEAD adds exactly once: %q", history.File, history.Line)
	}
	base := strings.Replace(string(head), history.Line, "", 1)
	steps := []struct {
		what string
		run  func() error
	}{
		{"write the base version of " + history.File, func() error { return os.WriteFile(path, []byte(base), 0o644) }},
		{"init", gitStep(ctx, dir, "", "init", "-q", "--template=", "--object-format=sha1", "-b", history.Base)},
		// Modes come from the names, not the file system (which may
		// lack executable bits): every file 644, then scripts 755.
		{"add", gitStep(ctx, dir, "", "-c", "core.fileMode=false", "add", "-A", "--force")},
		{"mark scripts executable", markExecutable(ctx, dir)},
		{"commit the base", gitStep(ctx, dir, history.BaseDate, "commit", "-q", "--no-verify", "-m", history.BaseMsg)},
		{"branch", gitStep(ctx, dir, "", "checkout", "-q", "-b", history.Branch)},
		{"write " + history.File, func() error { return os.WriteFile(path, head, 0o644) }},
		{"commit the change", gitStep(ctx, dir, history.HeadDate, "commit", "-q", "--no-verify", "-a", "-m", history.HeadMsg)},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("example: history: %s: %w", s.what, err)
		}
	}
	return nil
}

// gitStep runs git in dir with nothing of the user's or system's
// configuration, hooks or templates, and a fixed identity; date, when
// set, is the author and committer date.
func gitStep(ctx context.Context, dir, date string, args ...string) func() error {
	env := []string{
		// An inherited GIT_DIR (a hook's) must not send the commits elsewhere.
		"GIT_DIR=" + filepath.Join(dir, ".git"), "GIT_WORK_TREE=" + dir,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_CONFIG_COUNT=0", "GIT_CONFIG_PARAMETERS=",
		"GIT_AUTHOR_NAME=" + history.Name, "GIT_AUTHOR_EMAIL=" + history.Email,
		"GIT_COMMITTER_NAME=" + history.Name, "GIT_COMMITTER_EMAIL=" + history.Email,
	}
	if date != "" {
		env = append(env, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	}
	fixed := []string{"-c", "commit.gpgsign=false", "-c", "core.hooksPath=" + os.DevNull, "-c", "core.autocrlf=false", "-c", "gc.auto=0"}
	return func() error {
		_, err := gitcmd.Repo{Dir: dir, Env: env}.Output(ctx, append(fixed, args...)...)
		return err
	}
}

// markExecutable records the scripts writeTree made executable as such.
func markExecutable(ctx context.Context, dir string) func() error {
	return func() error {
		var scripts []string
		err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && executable(p) {
				scripts = append(scripts, p)
			}
			return err
		})
		if err != nil || len(scripts) == 0 {
			return err
		}
		return gitStep(ctx, dir, "", append([]string{"update-index", "--chmod=+x", "--"}, scripts...)...)()
	}
}

func executable(p string) bool { return filepath.Ext(p) == ".sh" }
