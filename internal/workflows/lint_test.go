package workflows

import (
	"os/exec"
	"path/filepath"
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
