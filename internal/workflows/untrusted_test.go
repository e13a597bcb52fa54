package workflows

import (
	"fmt"
	"regexp"
	"testing"

	"go.yaml.in/yaml/v3"
)

// untrustedExpr is an expression of text someone outside the repository
// writes (a comment, a title, a branch name, a payload field) or a
// dispatch input: in a run: script it would be shell source.
var untrustedExpr = regexp.MustCompile(`\$\{\{[^}]*\b(github\.event\.|github\.head_ref|inputs\.)[^}]*\}\}`)

// untrustedInRun lists the run: scripts of w that expand such text.
func untrustedInRun(w workflow) []string {
	var out []string
	jobs := get(w.root, "jobs")
	for i := 0; jobs != nil && i+1 < len(jobs.Content); i += 2 {
		for _, step := range stepsOf(jobs.Content[i+1]) {
			if run := get(step, "run"); run != nil && untrustedExpr.MatchString(run.Value) {
				out = append(out, fmt.Sprintf("%s:%d: job %s: %s in run: (pass it through env:)", w.name, run.Line,
					jobs.Content[i].Value, untrustedExpr.FindString(run.Value)))
			}
		}
	}
	return out
}

// No workflow expands an event's text or a dispatch input in a run:
// script; slash-command.yml's comment body reaches tpuci only in the
// payload file.
func TestNoUntrustedTextInRun(t *testing.T) {
	for _, w := range workflows(t) {
		for _, p := range untrustedInRun(w) {
			t.Error(p)
		}
	}
}

// The check catches the classic injection: a comment body in a script.
func TestUntrustedCheckCatchesABodyInRun(t *testing.T) {
	src := "jobs:\n  command:\n    steps:\n      - run: echo \"${{ github.event.comment.body }}\"\n" +
		"      - run: exec .bin/tpuci ci:command\n        env:\n          BODY: ${{ github.event.comment.body }}\n"
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	got := untrustedInRun(workflow{name: "x.yml", root: doc.Content[0]})
	if len(got) != 1 || got[0] != "x.yml:4: job command: ${{ github.event.comment.body }} in run: (pass it through env:)" {
		t.Errorf("problems: %q", got)
	}
}
