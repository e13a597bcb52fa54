package ghactions

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWorkflowCommands(t *testing.T) {
	var b bytes.Buffer
	dir := t.TempDir()
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "sum")}
	p := FromEnv(func(k string) string { return env[k] }, &b)
	p.Group("t/test_a.py [suite]")
	p.EndGroup()
	p.Annotate(Annotation{File: "a/b.py", Line: 3, Title: "pylint E0602", Msg: "50% bad\nsecond line"})
	p.Mask("s3cret")
	want := "::group::t/test_a.py [suite]\n::endgroup::\n::error file=a/b.py,line=3,title=pylint E0602::50%25 bad%0Asecond line\n::add-mask::s3cret\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	p.SetOutput("run_lint", "true")
	p.SetOutput("matrix", "[1,\n2]")
	out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	if !strings.HasPrefix(string(out), "run_lint=true\nmatrix<<TPUCI_") || !strings.Contains(string(out), "\n[1,\n2]\nTPUCI_") {
		t.Fatalf("outputs:\n%s", out)
	}
	p.AppendSummary("## hi")
	sum, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if string(sum) != "## hi\n" {
		t.Fatalf("summary %q", sum)
	}
}

func TestLocalIsPlain(t *testing.T) {
	var b bytes.Buffer
	p := FromEnv(func(string) string { return "" }, &b)
	p.Group("x")
	p.Mask("s3cret")
	p.Annotate(Annotation{File: "a.py", Line: 2, Msg: "boom\nmore"})
	if b.String() != "a.py:2: error: boom\n" {
		t.Fatalf("got %q", b.String())
	}
	if err := p.SetOutput("a", "b"); err != nil {
		t.Fatal(err)
	}
}
