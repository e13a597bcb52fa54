package eval

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Source is one file of a dataset: where it lives under <root>/<dataset>/,
// where the public copy is downloaded from and its SHA-256. An empty SHA256
// means the file is not pinned here; the cache then records the hash of
// the first download in its SHA256SUMS and holds later reads to it. Files
// without a URL come with Get, the instruction to produce them.
type Source struct {
	Path   string
	URL    string
	SHA256 string
	Get    string
}

// ChecksumFile is the sha256sum-format list ("<hex>  <dataset>/<file>") a
// data directory or the cache may hold; listed files are verified.
const ChecksumFile = "SHA256SUMS"

// Store finds dataset files: in DataDir (a checkout's own copy), else in
// CacheDir, downloading into the cache unless Offline.
type Store struct {
	DataDir  string // <DataDir>/<dataset>/<file>; empty: none
	CacheDir string // <CacheDir>/<dataset>/<file>; empty: no cache
	Offline  bool
	Client   *http.Client // nil: a client with a 30-minute timeout
	Log      io.Writer    // download progress; nil: silent

	mu sync.Mutex
}

// DatasetError is a dataset that is missing or unreadable. Its message is
// one line naming the file and how to get a good copy.
type DatasetError struct {
	Dataset string
	File    string
	Pos     string // ":line" or ":line:col" within File, when known
	Problem string
	Fix     string
}

func (e *DatasetError) Error() string {
	return fmt.Sprintf("dataset %s: %s%s: %s; %s", e.Dataset, e.File, e.Pos, e.Problem, e.Fix)
}

// loadError turns a loader error ("<path>[:line[:col]]: msg") into a
// DatasetError.
func loadError(name, path string, err error, fix string) *DatasetError {
	msg := oneLine(err.Error())
	e := &DatasetError{Dataset: name, File: path, Fix: fix, Problem: msg}
	if rest, ok := strings.CutPrefix(msg, path); ok {
		pos, problem, _ := strings.Cut(rest, ": ")
		e.Pos, e.Problem = pos, problem
	}
	if !strings.HasPrefix(e.Problem, "unreadable") {
		e.Problem = "unreadable: " + e.Problem
	}
	return e
}

// Load reads a dataset through the store.
func (s *Store) Load(ctx context.Context, name string) (*Dataset, error) {
	t, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: name}
	for _, src := range t.Files {
		path, origin, err := s.locate(ctx, t, src)
		if err != nil {
			return nil, err
		}
		n := len(ds.Examples)
		if err := t.load(path, &ds.Examples); err != nil {
			return nil, loadError(name, path, err, s.fix(t, src, origin))
		}
		if len(ds.Examples) == n {
			return nil, &DatasetError{Dataset: name, File: path, Problem: "no questions in it", Fix: s.fix(t, src, origin)}
		}
		ds.Files = append(ds.Files, path)
	}
	for i := range ds.Examples {
		ds.Examples[i].Index = i
	}
	return ds, nil
}

// LoadFile reads one file in a dataset's layout (tests and one-off runs).
func LoadFile(name, path string) (*Dataset, error) {
	t, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: name, Files: []string{path}}
	if err := t.load(path, &ds.Examples); err != nil {
		return nil, loadError(name, path, err, "want "+t.Layout)
	}
	for i := range ds.Examples {
		ds.Examples[i].Index = i
	}
	return ds, nil
}

type origin int

const (
	fromDataDir origin = iota
	fromCache
	fromNowhere
)

func (s *Store) rel(t *Task, src Source) string { return t.Name + "/" + src.Path }

// locate returns the verified path of a dataset file.
func (s *Store) locate(ctx context.Context, t *Task, src Source) (string, origin, error) {
	rel := s.rel(t, src)
	if s.DataDir != "" {
		p := filepath.Join(s.DataDir, filepath.FromSlash(rel))
		if fileExists(p) {
			if err := verifyListed(s.DataDir, rel, p, ""); err != nil {
				return "", fromDataDir, &DatasetError{Dataset: t.Name, File: p, Problem: err.Error(), Fix: s.fix(t, src, fromDataDir)}
			}
			return p, fromDataDir, nil
		}
	}
	if s.CacheDir == "" {
		where := "no data directory ([accuracy].data_dir) and no cache"
		if s.DataDir != "" {
			where = "not in the data directory and no cache"
		}
		return "", fromNowhere, &DatasetError{Dataset: t.Name, File: s.wanted(rel), Problem: "missing (" + where + ")", Fix: s.fix(t, src, fromNowhere)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := filepath.Join(s.CacheDir, filepath.FromSlash(rel))
	if fileExists(p) {
		if err := verifyListed(s.CacheDir, rel, p, src.SHA256); err != nil {
			return "", fromCache, &DatasetError{Dataset: t.Name, File: p, Problem: err.Error(), Fix: s.fix(t, src, fromCache)}
		}
		return p, fromCache, nil
	}
	if src.URL == "" || s.Offline {
		why := "missing"
		if src.URL != "" {
			why = "missing and downloads are off (TPUCI_OFFLINE)"
		}
		return "", fromNowhere, &DatasetError{Dataset: t.Name, File: s.wanted(rel), Problem: why, Fix: s.fix(t, src, fromNowhere)}
	}
	if err := s.download(ctx, src, rel, p); err != nil {
		return "", fromNowhere, &DatasetError{Dataset: t.Name, File: p, Problem: oneLine(err.Error()), Fix: s.fix(t, src, fromNowhere)}
	}
	return p, fromCache, nil
}

// wanted names where a missing file is looked for first.
func (s *Store) wanted(rel string) string {
	if s.DataDir != "" {
		return filepath.Join(s.DataDir, filepath.FromSlash(rel))
	}
	if s.CacheDir != "" {
		return filepath.Join(s.CacheDir, filepath.FromSlash(rel))
	}
	return rel
}

// fix says how to get a good copy of a file.
func (s *Store) fix(t *Task, src Source, o origin) string {
	rel := s.rel(t, src)
	dest := s.wanted(rel)
	if o == fromCache {
		dest = filepath.Join(s.CacheDir, filepath.FromSlash(rel))
	}
	var how string
	switch {
	case o == fromDataDir:
		how = fmt.Sprintf("restore it from version control (git checkout -- %s) or replace it with a file in the layout: %s", dest, t.Layout)
	case src.URL != "" && o == fromCache:
		how = fmt.Sprintf("delete it and rerun to download it again from %s", src.URL)
	case src.URL != "":
		how = fmt.Sprintf("get it with: curl -fL --create-dirs -o %s %s", dest, src.URL)
	default:
		how = fmt.Sprintf("create %s: %s (layout: %s)", dest, src.Get, t.Layout)
	}
	return how
}

// download fetches a file into the cache, checks its hash and records it.
func (s *Store) download(ctx context.Context, src Source, rel, dest string) error {
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Minute}
	}
	if s.Log != nil {
		fmt.Fprintf(s.Log, "    downloading %s from %s\n", rel, src.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return fmt.Errorf("download %s: %w", src.URL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("download failed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download failed: %s answered %s", src.URL, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("create cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*")
	if err != nil {
		return fmt.Errorf("create cache file: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), resp.Body); err != nil {
		tmp.Close()
		return fmt.Errorf("download failed while reading %s: %w", src.URL, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write cache file: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if src.SHA256 != "" && !strings.EqualFold(sum, src.SHA256) {
		return fmt.Errorf("downloaded file has sha256 %s, want %s (the public copy changed or the download was altered)", sum, src.SHA256)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("store download: %w", err)
	}
	if err := recordSum(s.CacheDir, rel, sum); err != nil {
		return err
	}
	if s.Log != nil && src.SHA256 == "" {
		fmt.Fprintf(s.Log, "    %s has sha256 %s (recorded in %s)\n", rel, sum, filepath.Join(s.CacheDir, ChecksumFile))
	}
	return nil
}

// verifyListed checks a file against the pinned hash, or the one listed in
// the root's SHA256SUMS.
func verifyListed(root, rel, path, pinned string) error {
	want := pinned
	if want == "" {
		sums, err := readSums(root)
		if err != nil {
			return err
		}
		want = sums[rel]
	}
	if want == "" {
		return nil
	}
	got, err := fileSum(path)
	if err != nil {
		return err
	}
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("corrupt: sha256 %s, want %s", got, want)
	}
	return nil
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readSums parses <root>/SHA256SUMS; a missing file is an empty list.
func readSums(root string) (map[string]string, error) {
	path := filepath.Join(root, ChecksumFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		sum, name, ok := strings.Cut(text, " ")
		name = strings.TrimPrefix(strings.TrimSpace(name), "*")
		if !ok || len(sum) != 64 || name == "" {
			return nil, fmt.Errorf("%s:%d: want \"<sha256>  <dataset>/<file>\"", path, line)
		}
		out[filepath.ToSlash(name)] = strings.ToLower(sum)
	}
	return out, sc.Err()
}

func recordSum(root, rel, sum string) error {
	sums, err := readSums(root)
	if err != nil {
		sums = map[string]string{}
	}
	sums[rel] = sum
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	path := filepath.Join(root, ChecksumFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("record checksum: %w", err)
	}
	return os.Rename(tmp, path)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
