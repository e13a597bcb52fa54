package ci

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/impact"
)

// Git reads the history of one repository for plans and replays.
type Git struct {
	Dir     string
	Timeout time.Duration // per command; default gitcmd.DefaultTimeout
}

func (g Git) run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	return gitcmd.Repo{Dir: g.Dir, Timeout: g.Timeout}.Run(ctx, stdin, args...)
}

// Rev resolves a revision to a commit hash.
func (g Git) Rev(ctx context.Context, rev string) (string, error) {
	return gitcmd.Repo{Dir: g.Dir, Timeout: g.Timeout}.Resolve(ctx, rev)
}

// parseNameStatus reads "git diff --name-status -z" output.
func parseNameStatus(out []byte) []Change {
	var changes []Change
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i+1 < len(fields); i += 2 {
		st := fields[i]
		if st == "" {
			continue
		}
		changes = append(changes, Change{Status: st[:1], Path: fields[i+1]})
	}
	return changes
}

// Diff lists the files changed between the merge base of base and head,
// and head, renames counted as a deletion and an addition.
func (g Git) Diff(ctx context.Context, base, head string) ([]Change, error) {
	out, err := g.run(ctx, nil, "diff", "--no-renames", "--name-status", "-z", "--end-of-options", base+"..."+head)
	if err != nil {
		return nil, err
	}
	return parseNameStatus(out), nil
}

// Local lists what the working tree changes against the merge base of
// HEAD and base: commits, uncommitted edits and untracked files.
func (g Git) Local(ctx context.Context, base string) ([]Change, string, error) {
	out, err := g.run(ctx, nil, "merge-base", "--end-of-options", base, "HEAD")
	if err != nil {
		return nil, "", err
	}
	mb := strings.TrimSpace(string(out))
	out, err = g.run(ctx, nil, "diff", "--no-renames", "--name-status", "-z", "--end-of-options", mb)
	if err != nil {
		return nil, "", err
	}
	changes := parseNameStatus(out)
	out, err = g.run(ctx, nil, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, "", err
	}
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" {
			changes = append(changes, Change{Status: "A", Path: p})
		}
	}
	return changes, mb, nil
}

// Commit is one commit of a history.
type Commit struct {
	SHA     string `json:"sha"`
	Parent  string `json:"parent"`
	Subject string `json:"subject"`
}

// FirstParents lists the last n commits along the first-parent chain of
// rev, newest first, each with its first parent (root commits are left out).
func (g Git) FirstParents(ctx context.Context, rev string, n int) ([]Commit, error) {
	out, err := g.run(ctx, nil, "log", "--first-parent", "-n", strconv.Itoa(n), "--format=%H%x00%P%x00%s", "--end-of-options", rev)
	if err != nil {
		return nil, err
	}
	var cs []Commit
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "\x00", 3)
		if len(f) < 3 || f[1] == "" {
			continue
		}
		cs = append(cs, Commit{SHA: f[0], Parent: strings.Fields(f[1])[0], Subject: f[2]})
	}
	return cs, nil
}

// DiffCommits lists the files changed from a to b.
func (g Git) DiffCommits(ctx context.Context, a, b string) ([]Change, error) {
	out, err := g.run(ctx, nil, "diff-tree", "-r", "--no-commit-id", "--no-renames", "--name-status", "-z", "--end-of-options", a, b)
	if err != nil {
		return nil, err
	}
	return parseNameStatus(out), nil
}

// PythonBlobs maps the .py files of a commit to their blob hashes.
func (g Git) PythonBlobs(ctx context.Context, commit string) (map[string]string, error) {
	out, err := g.run(ctx, nil, "ls-tree", "-r", "-z", "--end-of-options", commit)
	if err != nil {
		return nil, err
	}
	blobs := map[string]string{}
	for _, rec := range strings.Split(string(out), "\x00") {
		meta, p, ok := strings.Cut(rec, "\t")
		if !ok || !strings.HasSuffix(p, ".py") {
			continue
		}
		f := strings.Fields(meta) // mode type sha
		if len(f) == 3 && f[1] == "blob" && !skippedPath(p) {
			blobs[p] = f[2]
		}
	}
	return blobs, nil
}

func skippedPath(p string) bool {
	for _, part := range strings.Split(p, "/")[:strings.Count(p, "/")] {
		if impact.SkipDir(part) {
			return true
		}
	}
	return false
}

// ReadBlobs reads blobs by hash with one git cat-file --batch.
func (g Git) ReadBlobs(ctx context.Context, shas []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(shas) == 0 {
		return out, nil
	}
	data, err := g.run(ctx, strings.NewReader(strings.Join(shas, "\n")+"\n"), "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		header, err := r.ReadString('\n')
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("git cat-file: read header: %w", err)
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			continue // absent from a partial clone: the file is left out
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("git cat-file: unexpected header %q", header)
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("git cat-file: header %q: %w", header, err)
		}
		buf := make([]byte, size+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("git cat-file: read %s: %w", f[0], err)
		}
		out[f[0]] = buf[:size]
	}
}
