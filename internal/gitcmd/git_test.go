package gitcmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

// A real repository: commit a file, list it, read it back through stdin,
// and a failing command reports git's own message.
func TestRepoRunsRealGit(t *testing.T) {
	needs.Tool(t, "git")
	ctx := context.Background()
	r := Repo{Dir: t.TempDir(), Env: []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t"}}
	if err := os.WriteFile(filepath.Join(r.Dir, "a.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "a.txt"}, {"-c", "commit.gpgsign=false", "commit", "-qm", "first"}} {
		if _, err := r.Output(ctx, args...); err != nil {
			t.Fatal(err)
		}
	}
	files, err := r.Lines(ctx, "ls-files")
	if err != nil || !slices.Equal(files, []string{"a.txt"}) {
		t.Fatalf("ls-files: %v %v", files, err)
	}
	out, err := r.Run(ctx, strings.NewReader("HEAD:a.txt\n"), "cat-file", "--batch")
	if err != nil || !strings.HasSuffix(string(out), "hello\n\n") {
		t.Fatalf("cat-file: %q %v", out, err)
	}
	_, err = r.Output(ctx, "rev-parse", "--verify", "no-such-ref")
	var gerr *Error
	var exit *proc.ExitError
	if !errors.As(err, &gerr) || !errors.As(err, &exit) || !strings.HasPrefix(err.Error(), "git rev-parse --verify no-such-ref: ") ||
		!strings.Contains(gerr.Stderr, "fatal") {
		t.Fatalf("error %v", err)
	}
}
