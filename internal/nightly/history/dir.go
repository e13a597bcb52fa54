package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/sgl-project/tpuci/internal/report"
)

// Dir is a store rooted at a directory:
//
//	nights/<YYYY-MM-DD>/<model>.jsonl  one record per line, sorted by case
//	nightly-status.json                the last complete scheduled night
//
// Writers on one host take an exclusive lock on <root>/.lock.
type Dir struct{ Root string }

// StatusFile is the status record's name inside a store.
const StatusFile = "nightly-status.json"

func (d Dir) file(night, model string) string {
	return filepath.Join(d.Root, "nights", night, model+".jsonl")
}

// Put adds records, replacing the record of the same case on the same
// night (a re-run replaces, it does not duplicate).
func (d Dir) Put(recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	for i := range recs {
		if err := recs[i].Check(); err != nil {
			return fmt.Errorf("history: record %s: %w", recs[i].Case, err)
		}
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	type fileKey struct{ night, model string }
	by := map[fileKey][]Record{}
	for _, r := range recs {
		k := fileKey{r.Night, r.Model}
		by[k] = append(by[k], r)
	}
	for k, add := range by {
		path := d.file(k.night, k.model)
		old, _, err := readFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		merged := map[string]Record{}
		for _, r := range old {
			merged[r.Case] = r
		}
		for _, r := range add {
			merged[r.Case] = r
		}
		if err := writeFile(path, merged); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, recs map[string]Record) error {
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	for _, k := range keys {
		line, err := json.Marshal(recs[k])
		if err != nil {
			return fmt.Errorf("history: encode %s: %w", k, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("history: create %s: %w", filepath.Dir(path), err)
	}
	if err := report.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("history: write %s: %w", path, err)
	}
	return nil
}

// readFile reads one JSON-lines file. Lines that are not records of this
// schema are skipped and described in warnings (a store shared with a
// newer tpuci must not stop an older one).
func readFile(path string) ([]Record, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	var out []Record
	var warns []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			warns = append(warns, fmt.Sprintf("%s:%d: not a JSON record: %v", path, n, err))
			continue
		}
		if err := r.Check(); err != nil {
			warns = append(warns, fmt.Sprintf("%s:%d: skipped: %v", path, n, err))
			continue
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return out, warns, fmt.Errorf("history: read %s: %w", path, err)
	}
	return out, warns, nil
}

// Nights lists the nights that have records, oldest first.
func (d Dir) Nights() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(d.Root, "nights"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && nightRe.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// Load reads the records of the last n nights up to and including until
// (all nights when n <= 0; no upper bound when until is empty), oldest
// night first and by case within a night.
func (d Dir) Load(n int, until string) ([]Record, []string, error) {
	nights, err := d.Nights()
	if err != nil {
		return nil, nil, err
	}
	if until != "" {
		nights = slices.DeleteFunc(nights, func(s string) bool { return s > until })
	}
	if n > 0 && len(nights) > n {
		nights = nights[len(nights)-n:]
	}
	var out []Record
	var warns []string
	for _, night := range nights {
		recs, w, err := d.Night(night)
		warns = append(warns, w...)
		if err != nil {
			return nil, warns, err
		}
		out = append(out, recs...)
	}
	return out, warns, nil
}

// Night reads one night's records, sorted by case.
func (d Dir) Night(night string) ([]Record, []string, error) {
	files, err := filepath.Glob(filepath.Join(d.Root, "nights", night, "*.jsonl"))
	if err != nil {
		return nil, nil, fmt.Errorf("history: %w", err)
	}
	var out []Record
	var warns []string
	for _, f := range files {
		recs, w, err := readFile(f)
		warns = append(warns, w...)
		if err != nil {
			return nil, warns, err
		}
		for _, r := range recs {
			if r.Night != night || r.Model+".jsonl" != filepath.Base(f) {
				warns = append(warns, fmt.Sprintf("%s: skipped record of %s on %s: it belongs in another file", f, r.Case, r.Night))
				continue
			}
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Case, b.Case) })
	return out, warns, nil
}

// lock takes the store's exclusive lock; the returned func releases it.
func (d Dir) lock() (func(), error) {
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return nil, fmt.Errorf("history: create %s: %w", d.Root, err)
	}
	path := filepath.Join(d.Root, ".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("history: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("history: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
