package suite

import (
	"regexp"
	"strconv"
	"strings"
)

// errorReason is the first line of the error a Python process printed
// last: the exception line after its traceback ("ModuleNotFoundError: No
// module named 'x'"), or a fatal interpreter error. Empty when none.
func errorReason(log string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "Fatal Python error:") {
			return l
		}
		if lines[i] != "Traceback (most recent call last):" {
			continue
		}
		for _, next := range lines[i+1:] {
			if next != "" && next[0] != ' ' && next[0] != '\t' && !strings.HasPrefix(next, "During handling") {
				return strings.TrimSpace(next)
			}
		}
	}
	return ""
}

// pytestWhere matches the location lines of pytest's failure report
// ("t/test_x.py:12: AssertionError").
var pytestWhere = regexp.MustCompile(`(?m)^(\S+?\.py):(\d+): `)

// failingLine is the innermost line of file in a pytest failure report:
// the failing assert, not the def line JUnit's line attribute gives.
func failingLine(text, file string) int {
	line := 0
	for _, m := range pytestWhere.FindAllStringSubmatch(text, -1) {
		if file == "" || m[1] == file || strings.HasSuffix(file, "/"+m[1]) || strings.HasSuffix(m[1], "/"+file) {
			line, _ = strconv.Atoi(m[2])
		}
	}
	return line
}

// unittestBlock is one failure report of unittest's verbose output.
var unittestBlock = regexp.MustCompile(`(?m)^(FAIL|ERROR): (\w+) \(([\w.]+)\)[^\n]*\n-{20,}\n((?:.*\n)*?)(?:={20,}|-{20,})`)

type unittestFailure struct {
	reason string
	line   int
}

// unittestFailures maps "module.Class.test" to the reason and the
// innermost line in the test file of its failure report.
func unittestFailures(log, repo, file string) map[string]unittestFailure {
	out := map[string]unittestFailure{}
	for _, m := range unittestBlock.FindAllStringSubmatch(log, -1) {
		name := m[3]
		if !strings.HasSuffix(name, "."+m[2]) {
			name += "." + m[2]
		}
		_, line := locate(m[4], repo, file)
		out[name] = unittestFailure{reason: errorReason(m[4]), line: line}
	}
	return out
}
