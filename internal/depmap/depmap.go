// Package depmap records which repository modules each test file really
// loads (its own process and the servers it starts), through a startup
// hook on the Python path, and keeps those records in the history store.
// A plan then selects a test with a fresh record only when a changed file
// is in its recorded set or the test itself changed.
package depmap

import (
	_ "embed"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/datastore"
)

//go:embed hook.py
var hook []byte

// Subdir is the records' directory inside a history store.
const Subdir = "depmap"

// Install writes the hook under dir/hook and returns the environment a
// test process needs (besides TPUCI_DEPMAP_TEST, per test file) for the
// hook to record into dir/runs.
func Install(dir, repo, pythonPath string) ([]string, error) {
	hookDir := filepath.Join(dir, "hook")
	if err := os.MkdirAll(hookDir, 0o755); err != nil {
		return nil, fmt.Errorf("depmap: create %s: %w", hookDir, err)
	}
	if err := os.WriteFile(filepath.Join(hookDir, "sitecustomize.py"), hook, 0o644); err != nil {
		return nil, fmt.Errorf("depmap: write the hook: %w", err)
	}
	pp := hookDir
	if pythonPath != "" {
		pp += string(os.PathListSeparator) + pythonPath
	}
	return []string{"PYTHONPATH=" + pp, "TPUCI_DEPMAP_DIR=" + filepath.Join(dir, "runs"), "TPUCI_DEPMAP_ROOT=" + repo}, nil
}

// TestEnv names the test file a process runs for.
func TestEnv(test string) string { return "TPUCI_DEPMAP_TEST=" + test }

// Collect reads what the hook wrote: per test file, the sorted union of
// the files its processes loaded.
func Collect(dir string) (map[string][]string, error) {
	runs := filepath.Join(dir, "runs")
	tests, err := os.ReadDir(runs)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("depmap: %w", err)
	}
	out := map[string][]string{}
	for _, t := range tests {
		if !t.IsDir() {
			continue
		}
		set := map[string]bool{}
		pids, _ := filepath.Glob(filepath.Join(runs, t.Name(), "*.txt"))
		for _, p := range pids {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("depmap: %w", err)
			}
			for _, l := range strings.Split(string(data), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					set[l] = true
				}
			}
		}
		mods := make([]string, 0, len(set))
		for m := range set {
			mods = append(mods, m)
		}
		sort.Strings(mods)
		name, err := url.PathUnescape(t.Name())
		if err != nil {
			continue // not written by the hook
		}
		out[name] = mods
	}
	return out, nil
}

// Record is one run's loaded files per test file.
type Record struct {
	Commit string              `json:"commit"`
	Date   time.Time           `json:"date"`
	Tests  map[string][]string `json:"tests"`
}

// Entry is the latest record of one test file.
type Entry struct {
	Commit  string    `json:"commit"`
	Date    time.Time `json:"date"`
	Modules []string  `json:"modules"`
}

// Map is the latest entry per test file.
type Map map[string]Entry

// Dir is a store of records, one JSON file each.
type Dir struct{ Root string }

// Add writes a record.
func (d Dir) Add(r Record) error {
	return d.records().Add(datastore.Key{Date: r.Date, Commit: r.Commit, Target: "depmap"}, r)
}

func (d Dir) records() datastore.Records[Record] {
	return datastore.Records[Record]{Root: d.Root, Kind: "depmap"}
}

// Load reads every record and keeps the latest entry of each test file.
func (d Dir) Load() (Map, error) {
	recs, err := d.records().All(nil)
	if err != nil {
		return nil, err
	}
	m := Map{}
	for _, r := range recs {
		for t, mods := range r.Tests {
			if e, ok := m[t]; !ok || r.Date.After(e.Date) {
				m[t] = Entry{Commit: r.Commit, Date: r.Date, Modules: mods}
			}
		}
	}
	return m, nil
}

// serverPrefix marks the entries of servers among the test files.
const serverPrefix = "server:"

// ServerKey is the entry of the server of a model architecture: what
// SGLang-JAX's launch_server loaded serving a model of it (srvmap).
func ServerKey(arch string) string { return serverPrefix + arch }

// Servers keeps the entries of servers.
func (m Map) Servers() Map {
	out := Map{}
	for k, e := range m {
		if strings.HasPrefix(k, serverPrefix) {
			out[k] = e
		}
	}
	return out
}
