package workflows

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is tpuci's checkout.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Every workflow passes actionlint (with .github/actionlint.yaml declaring
// the self-hosted runner labels), including shellcheck of its run: steps.
func TestWorkflowsPassActionlint(t *testing.T) {
	bin := needTool(t, "actionlint", "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12")
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows under %s (%v)", root, err)
	}
	args := []string{"-config-file", filepath.Join(root, ".github", "actionlint.yaml")}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		args = append(args, "-shellcheck", sc)
	} else {
		needTool(t, "shellcheck", "apt-get install shellcheck")
	}
	cmd := exec.Command(bin, append(args, files...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

// The shell scripts pass shellcheck.
func TestScriptsPassShellcheck(t *testing.T) {
	bin := needTool(t, "shellcheck", "apt-get install shellcheck")
	root := repoRoot(t)
	scripts, err := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	scripts = append(scripts, filepath.Join(root, ".ci", "run"))
	cmd := exec.Command(bin, append([]string{"--external-sources"}, scripts...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck %s: %v\n%s", strings.Join(scripts, " "), err, out)
	}
}

// actionlint reads a local action's inputs but not its steps: their run:
// scripts pass shellcheck here, each ${{ }} standing in as a plain word.
func TestLocalActionScriptsPassShellcheck(t *testing.T) {
	bin := needTool(t, "shellcheck", "apt-get install shellcheck")
	expr := regexp.MustCompile(`\$\{\{[^}]*\}\}`)
	dir := t.TempDir()
	var scripts []string
	for _, a := range localActions(t) {
		for i, step := range stepsOf(get(a.root, "runs")) {
			run := get(step, "run")
			if run == nil {
				continue
			}
			f := filepath.Join(dir, fmt.Sprintf("%s-%d.sh", strings.NewReplacer("/", "_").Replace(a.name), i))
			script := "#!/bin/bash\n# " + a.name + fmt.Sprintf(":%d\n", run.Line) + expr.ReplaceAllString(run.Value, "EXPR") + "\n"
			if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			scripts = append(scripts, f)
		}
	}
	if len(scripts) == 0 {
		t.Fatal("no run: step in any local action")
	}
	if out, err := exec.Command(bin, scripts...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck of the local actions' run: steps: %v\n%s", err, out)
	}
}
