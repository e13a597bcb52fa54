package slash

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/stages"
)

var update = flag.Bool("update", false, "rewrite testdata/comments.golden and the README's command table")

var testNames = Names{Targets: stages.PR(), Suites: []string{"unit-test-tpu-v6e-1", "unit-test-cpu", "e2e-test-tpu-v6e-4"}}

// describe is one parse result as the golden file writes it.
func describe(body string) string {
	cmd, ok, err := Parse(body, testNames)
	switch {
	case !ok:
		return "ignored"
	case err != nil:
		e := err.(*Error)
		return fmt.Sprintf("error %d (%s): %s", e.Kind, e.Spec.Name, e.Error())
	case cmd.Arg != "":
		kind := "target"
		if cmd.Suite {
			kind = "suite"
		}
		return fmt.Sprintf("/%s %s (%s, %s)", cmd.Name, cmd.Arg, kind, cmd.Perm)
	}
	return fmt.Sprintf("/%s (%s)", cmd.Name, cmd.Perm)
}

// corpus reads testdata/comments.txt: name, tab, Go-quoted body.
func corpus(t *testing.T) (names []string, bodies map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "comments.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bodies = map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, quoted, ok := strings.Cut(line, "\t")
		body, err := strconv.Unquote(quoted)
		if !ok || err != nil {
			t.Fatalf("comments.txt:%d: want NAME<TAB>\"body\" (%v)", n, err)
		}
		if _, dup := bodies[name]; dup {
			t.Fatalf("comments.txt:%d: %s twice", n, name)
		}
		names = append(names, name)
		bodies[name] = body
	}
	return names, bodies
}

// Every body of the corpus parses as comments.golden says.
func TestCorpusMatchesGolden(t *testing.T) {
	names, bodies := corpus(t)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s: %s\n", n, describe(bodies[n]))
	}
	path := filepath.Join("testdata", "comments.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != b.String() {
		t.Errorf("parse results differ from %s (go test ./internal/slash -update rewrites it):\n%s", path, b.String())
	}
}

// The rules the golden file shows, asserted one by one.
func TestParseRules(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"/rerun-failed", "/rerun-failed (write, maintain or admin)"},
		{"/rerun-failed\r\n/run-ci", "/rerun-failed (write, maintain or admin)"}, // only the first line counts
		{"/rerun\u00a0unit-test-cpu", "/rerun unit-test-cpu (suite, write, maintain or admin)"},
		{"/rerun unittest1", "/rerun unitTest1 (target, write, maintain or admin)"}, // the table's spelling
		{"/HELP", "/help (anyone)"},
		{"/rerun-fail", "error 1 (): not a command of tpuci"}, // no prefix matching
		{"/rerun", "error 2 (rerun): `/rerun` needs one suite or target: targets `lint`, `unitTest1`, `e2e`, `pallas`, `perf`, `unitTest4`, `accuracy`; suites `unit-test-tpu-v6e-1`, `unit-test-cpu`, `e2e-test-tpu-v6e-4`"},
		{"/run-ci please", "error 3 (run-ci): `/run-ci` takes no argument"},
		{"thanks\n/rerun-failed", "ignored"},
		{" /rerun-failed", "ignored"}, // the workflow only starts for a body that starts with '/'
		{"/etc/hosts is wrong", "ignored"},
	} {
		if got := describe(c.body); got != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.body, got, c.want)
		}
	}
}

// A hostile argument is refused, and the refusal quotes none of it.
func TestHostileArgumentsAreNeverEchoed(t *testing.T) {
	for _, arg := range []string{"$(touch /tmp/x)", "`id`", "unitTest1;rm", "[x](https://evil.example)", "@everyone",
		"::set-output", "../../etc", "unit*", "unitTest1\x00", "\x1b[31m", "<!--", "unitTest1|x", "e2e\u202e"} {
		cmd, ok, err := Parse("/rerun "+arg, testNames)
		if !ok || err == nil {
			t.Errorf("/rerun %q: accepted as %+v", arg, cmd)
			continue
		}
		if e := err.(*Error); e.Kind != BadArg && e.Kind != ExtraArg || strings.Contains(e.Error(), arg) ||
			strings.ContainsAny(e.Error(), "$@[]<\x00\x1b") {
			t.Errorf("/rerun %q: %v (kind %d)", arg, err, e.Kind)
		}
	}
}

// The names come from the configuration: every PR target, and the suites
// of PR targets only (an excluded suite, or one whose name a reply could
// not quote safely, is none).
func TestNamesOfConfig(t *testing.T) {
	cfg := &config.Config{Suites: []config.Suite{
		{Name: "unit-test-cpu", Target: "unitTest1"},
		{Name: "old-suite", Exclude: "retired"},
		{Name: "weird `name`", Target: "e2e"},
		{Name: "nightly-x", Target: "nightly"},
	}}
	got := NamesOf(cfg)
	if strings.Join(got.Suites, ",") != "unit-test-cpu" || strings.Join(got.Targets, ",") != strings.Join(stages.PR(), ",") {
		t.Errorf("NamesOf = %+v", got)
	}
}

// The README's command table is Markdown(); -update rewrites it.
func TestReadmeTableIsGenerated(t *testing.T) {
	if err := Docs.Check(filepath.Join("..", "..", "README.md"), Markdown(), *update); err != nil {
		t.Error(err)
	}
}
