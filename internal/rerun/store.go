package rerun

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/stages"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Attempts is the directory under $TPUCI_OUT that keeps earlier attempts,
// one numbered directory each.
const Attempts = "attempts"

// Load reads a stage's record from an earlier attempt's directory, its
// paths moved from where that attempt wrote them to dir; nil when dir has
// no record of the stage.
func Load(dir, target string) (*report.TargetResult, error) {
	path := filepath.Join(dir, workspace.FileName(target)+".json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rerun: read %s: %w", path, err)
	}
	var rec report.TargetResult
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("rerun: %s: %w (not a stage record: delete it, or rerun the stage whole)", path, err)
	}
	if rec.Target != target {
		return nil, fmt.Errorf("rerun: %s is the record of %q, not of %s", path, rec.Target, target)
	}
	rebase(&rec, dir)
	return &rec, nil
}

// rebase points the record's log paths at dir: the attempt wrote them
// under its own $TPUCI_OUT (<out>/logs/<target>), since moved or
// downloaded.
func rebase(rec *report.TargetResult, dir string) {
	suffix := string(filepath.Separator) + filepath.Join("logs", workspace.FileName(rec.Target))
	old, ok := strings.CutSuffix(rec.LogDir, suffix)
	if !ok || old == "" {
		return
	}
	move := func(p string) string {
		if rest, ok := strings.CutPrefix(p, old+string(filepath.Separator)); ok {
			return filepath.Join(dir, rest)
		}
		return p
	}
	rec.LogDir = move(rec.LogDir)
	for i := range rec.Cases {
		c := &rec.Cases[i]
		c.Log = move(c.Log)
		for j := range c.Attempts {
			c.Attempts[j].Log = move(c.Attempts[j].Log)
		}
	}
}

// Records lists the stage records in dir, in stage order.
func Records(dir string) ([]*report.TargetResult, error) {
	var out []*report.TargetResult
	for _, name := range stages.All() {
		rec, err := Load(dir, name)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			out = append(out, rec)
		}
	}
	return out, nil
}

// written are what a run writes under $TPUCI_OUT besides the stage
// records, and a rerun replaces: the summary, JUnit and the logs. Caches,
// histories and durations stay where they are.
var written = []string{"summary.md", "junit", "logs"}

// Move keeps the last run's results in a new $TPUCI_OUT/attempts/<n>/:
// the stage records, summary, JUnit and logs move there. It returns the
// directory.
func Move(out string) (string, error) {
	dir, err := next(out)
	if err != nil {
		return "", err
	}
	names := slices.Clone(written)
	for _, s := range stages.All() {
		names = append(names, workspace.FileName(s)+".json")
	}
	for _, n := range names {
		src := filepath.Join(out, n)
		if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(src, filepath.Join(dir, n)); err != nil {
			return "", fmt.Errorf("rerun: keep %s: %w", src, err)
		}
	}
	return dir, nil
}

// Keep copies an earlier attempt's results (a downloaded artifact of the
// job) into $TPUCI_OUT/attempts/<n>/, so this attempt's upload keeps
// them: the attempts it kept itself first, each under a number of its
// own, then its own results. A directory already under
// $TPUCI_OUT/attempts is kept where it is.
func Keep(out, from string) (string, error) {
	abs, err := filepath.Abs(from)
	if err != nil {
		return "", fmt.Errorf("rerun: %w", err)
	}
	root := filepath.Join(out, Attempts)
	if rel, err := filepath.Rel(root, abs); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		return abs, nil
	}
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("rerun: TPUCI_RERUN_FROM=%s: not a directory of earlier results (a job's downloaded $TPUCI_OUT); unset it to run everything", from)
	}
	older, _ := os.ReadDir(filepath.Join(abs, Attempts))
	for _, e := range older {
		if _, err := strconv.Atoi(e.Name()); err != nil || !e.IsDir() {
			continue
		}
		dir, err := next(out)
		if err != nil {
			return "", err
		}
		if err := copyTree(filepath.Join(abs, Attempts, e.Name()), dir); err != nil {
			return "", err
		}
	}
	dir, err := next(out)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return "", fmt.Errorf("rerun: %w", err)
	}
	for _, e := range entries {
		if e.Name() == Attempts {
			continue
		}
		if err := copyTree(filepath.Join(abs, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// next creates the next free numbered directory under out/attempts.
func next(out string) (string, error) {
	root := filepath.Join(out, Attempts)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("rerun: %w", err)
	}
	for n := 1; ; n++ {
		dir := filepath.Join(root, strconv.Itoa(n))
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("rerun: %w", err)
		}
	}
}

// copyTree copies regular files and directories; links and devices a
// downloaded artifact should not hold are left out.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("rerun: copy %s: %w", p, err)
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("rerun: copy %s: %w", p, err)
		}
		return os.WriteFile(to, data, 0o644)
	})
}

// Label names an attempt's directory for the records: relative to
// $TPUCI_OUT ("attempts/1").
func Label(out, dir string) string {
	if rel, err := filepath.Rel(out, dir); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return dir
}
