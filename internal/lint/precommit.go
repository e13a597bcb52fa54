package lint

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/proc"
)

// PreCommit is the repository's own pre-commit check: a command to run,
// or the reason it cannot run.
type PreCommit struct {
	Cmd    *proc.Cmd
	Reason string // why it is not run, when Cmd is nil
}

// PlanPreCommit runs the checkout's pre-commit hooks over the change
// when the checkout has a .pre-commit-config.yaml and pre-commit in its
// venv (.venv/bin/pre-commit). Without a base it runs over all files.
func PlanPreCommit(repo string, base *Base) PreCommit {
	if !exists(filepath.Join(repo, ".pre-commit-config.yaml")) {
		return PreCommit{Reason: "the checkout has no .pre-commit-config.yaml"}
	}
	bin := filepath.Join(repo, ".venv", "bin", "pre-commit")
	if st, err := os.Stat(bin); err != nil || st.Mode()&0o111 == 0 {
		return PreCommit{Reason: fmt.Sprintf("%s not found: install it in the checkout's venv (.venv/bin/python -m pip install pre-commit)", bin)}
	}
	argv := []string{bin, "run", "--show-diff-on-failure", "--color=never"}
	if base != nil {
		argv = append(argv, "--from-ref", base.Commit, "--to-ref", "HEAD")
	} else {
		argv = append(argv, "--all-files")
	}
	return PreCommit{Cmd: &proc.Cmd{Argv: argv, Dir: repo}}
}
