// Package compiles counts JAX compilations in the Python processes tpuci
// starts, from JAX's own monitoring events: a startup hook (an embedded
// sitecustomize.py on PYTHONPATH) writes one JSON line per event to a
// per-process file, and Collect sums those files per case. The hook never
// changes what runs: its listeners swallow their errors, and without JAX
// it does nothing.
package compiles

import (
	_ "embed"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

//go:embed sitecustomize.py
var hook []byte

//go:embed tpuci_marks.py
var marks []byte

// Hook is an installed hook: Dir/hook holds the Python files, Dir/events
// one directory of event files per case.
type Hook struct {
	Dir string
	// PythonPath is the PYTHONPATH the processes would have without the
	// hook (inherited by tpuci); it is kept after the hook's directory.
	PythonPath string
}

// Install writes the hook under dir/hook.
func Install(dir, pythonPath string) (*Hook, error) {
	h := &Hook{Dir: dir, PythonPath: pythonPath}
	hookDir := filepath.Join(dir, "hook")
	if err := os.MkdirAll(hookDir, 0o755); err != nil {
		return nil, fmt.Errorf("compiles: create %s: %w", hookDir, err)
	}
	for name, data := range map[string][]byte{"sitecustomize.py": hook, "tpuci_marks.py": marks} {
		if err := os.WriteFile(filepath.Join(hookDir, name), data, 0o644); err != nil {
			return nil, fmt.Errorf("compiles: write the hook: %w", err)
		}
	}
	return h, nil
}

// CaseDir is where the processes of one case write their events.
func (h *Hook) CaseDir(name string) string {
	return filepath.Join(h.Dir, "events", url.PathEscape(name))
}

// Env is the environment that makes a process of case name record into
// CaseDir(name). The hook goes first on PYTHONPATH, before the last
// PYTHONPATH env sets (another hook's, or the config's), else before the
// inherited one; the sitecustomize it shadows is chain-loaded.
func (h *Hook) Env(name string, env []string) []string {
	pp := h.PythonPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PYTHONPATH="); ok {
			pp = v
		}
	}
	first := filepath.Join(h.Dir, "hook")
	if pp != "" {
		first += string(os.PathListSeparator) + pp
	}
	return []string{"PYTHONPATH=" + first, "TPUCI_COMPILE_DIR=" + h.CaseDir(name), "TPUCI_CASE=" + name}
}
