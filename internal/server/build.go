package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
)

// selfExec is set by a binary that runs the simulator itself when started
// under the name tpuci-simserver (the compiled mage binary does), so no go
// build is needed wherever tpuci runs.
var selfExec atomic.Bool

// EnableSelfExec declares that this executable serves as the simulator
// when invoked through a link named SimCommand.
func EnableSelfExec() { selfExec.Store(true) }

// selfLink points binDir/tpuci-simserver at the running executable.
func selfLink(bin string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("build simulator: find this executable: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("build simulator: create %s: %w", filepath.Dir(bin), err)
	}
	tmp := bin + ".link"
	os.Remove(tmp)
	if err := os.Symlink(exe, tmp); err != nil {
		return "", fmt.Errorf("build simulator: link %s: %w", bin, err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("build simulator: link %s: %w", bin, err)
	}
	return bin, nil
}

// builds remembers the simulator builds of this process, by output path.
var builds = struct {
	sync.Mutex
	done map[string]bool
}{done: map[string]bool{}}

// BuildSimulator builds tpuci-simserver into binDir once per process and
// returns its path. go build runs in buildDir (empty: the current
// directory), which must be inside a module that is tpuci or requires it;
// that is true both in tpuci's repository and in a repository whose
// magefile imports tpuci's targets.
func BuildSimulator(ctx context.Context, binDir, buildDir string, log io.Writer) (string, error) {
	if binDir == "" {
		binDir = filepath.Join(os.TempDir(), "tpuci-bin")
	}
	bin, err := filepath.Abs(filepath.Join(binDir, SimCommand))
	if err != nil {
		return "", fmt.Errorf("build simulator: %w", err)
	}
	builds.Lock()
	defer builds.Unlock()
	if builds.done[bin] {
		return bin, nil
	}
	if selfExec.Load() {
		if _, err := selfLink(bin); err != nil {
			return "", err
		}
		builds.done[bin] = true
		return bin, nil
	}
	goBin, err := goTool()
	if err != nil {
		return "", err
	}
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "    building %s\n", bin)
	var out bytes.Buffer
	_, err = proc.Run(ctx, proc.Cmd{
		Argv:    []string{goBin, "build", "-o", bin, SimPackage},
		Dir:     buildDir,
		Timeout: 10 * time.Minute,
		Stdout:  &out,
	})
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if msg == "" {
			msg = err.Error()
		}
		where := buildDir
		if where == "" {
			where, _ = os.Getwd()
		}
		return "", fmt.Errorf("build simulator: go build %s in %s failed (run it from tpuci's repository or one whose go.mod requires tpuci): %s", SimPackage, where, msg)
	}
	builds.done[bin] = true
	return bin, nil
}

// goTool finds the go command: on PATH, else next to the running toolchain.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := runtime.GOROOT(); root != "" { //nolint:staticcheck // SA1019: fallback for go tool mage, which runs from this toolchain
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("build simulator: no go command on PATH: install Go (https://go.dev/dl) to run the simulated server")
}
