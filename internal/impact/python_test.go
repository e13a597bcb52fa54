package impact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

// astScript prints, per file, the imports Python's own parser sees, in the
// same "line|module|level|names" form as astForm.
const astScript = `
import ast, json, sys
out = {}
for p in sys.argv[1:]:
    try:
        tree = ast.parse(open(p, "rb").read())
    except SyntaxError as e:
        out[p] = None
        continue
    rows = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            rows += ["%d|%s|0|" % (n.lineno, a.name) for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            rows.append("%d|%s|%d|%s" % (n.lineno, n.module or "", n.level, ",".join(sorted(a.name for a in n.names))))
    out[p] = sorted(rows)
json.dump(out, sys.stdout)
`

func astForm(s *Source) []string {
	rows := []string{}
	for _, im := range s.Imports {
		if im.Dynamic {
			continue
		}
		names := slices.Clone(im.Names)
		slices.Sort(names)
		rows = append(rows, fmt.Sprintf("%d|%s|%d|%s", im.Line, im.Module, im.Level, strings.Join(names, ",")))
	}
	slices.Sort(rows)
	return rows
}

// TestScanAgreesWithPythonAST compares the scanner with Python's parser on
// the bundled example repository and the scanner's own test inputs.
func TestScanAgreesWithPythonAST(t *testing.T) {
	python := "/usr/bin/python3"
	needs.Tool(t, python)
	var paths []string
	for _, root := range []string{"../example/repo", "testdata"} {
		files, err := ReadTree(root)
		if err != nil {
			continue
		}
		for p := range files {
			paths = append(paths, filepath.Join(root, p))
		}
	}
	if len(paths) < 5 {
		t.Fatalf("only %d Python files to compare", len(paths))
	}
	slices.Sort(paths)
	var stdout, stderr bytes.Buffer
	_, err := proc.Run(context.Background(), proc.Cmd{
		Argv: append([]string{python, "-c", astScript}, paths...), Timeout: time.Minute, Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var want map[string][]string
	if err := json.Unmarshal(stdout.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Scan(src)
		switch {
		case want[p] == nil && err == nil:
			t.Errorf("%s: Python cannot parse it but the scanner can", p)
		case want[p] != nil && err != nil:
			t.Errorf("%s: scanner: %v", p, err)
		case err == nil && !slices.Equal(astForm(s), want[p]):
			t.Errorf("%s:\n scanner %q\n python  %q", p, astForm(s), want[p])
		}
	}
}
