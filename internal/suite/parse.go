package suite

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/report"
)

// frame matches a Python traceback line.
var frame = regexp.MustCompile(`File "([^"]+)", line (\d+)`)

// locate finds the innermost traceback frame inside the repository (the
// test file itself preferred) so annotations point at the failing line.
func locate(log, repo, file string) (string, int) {
	matches := frame.FindAllStringSubmatch(log, -1)
	best, bestLine := file, 0
	for _, m := range matches {
		p := m[1]
		if rel, err := filepath.Rel(repo, p); err == nil && !strings.HasPrefix(rel, "..") {
			p = rel
		} else if filepath.IsAbs(p) {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if p == file {
			best, bestLine = p, n
		} else if bestLine == 0 {
			best, bestLine = p, n
		}
	}
	if bestLine == 0 {
		return file, 0
	}
	return best, bestLine
}

type xunit struct {
	Suites []xunitSuite `xml:"testsuite"`
	Cases  []xunitCase  `xml:"testcase"`
}

type xunitSuite struct {
	Cases []xunitCase `xml:"testcase"`
}

type xunitCase struct {
	Name      string  `xml:"name,attr"`
	Classname string  `xml:"classname,attr"`
	File      string  `xml:"file,attr"`
	Line      int     `xml:"line,attr"`
	Time      float64 `xml:"time,attr"`
	Failure   *xmsg   `xml:"failure"`
	Error     *xmsg   `xml:"error"`
	Skipped   *xmsg   `xml:"skipped"`
}

type xmsg struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// parseJUnit reads pytest's xunit1 report; a missing or broken file gives no cases.
func parseJUnit(path, suite string) []report.Case {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc xunit
	if xml.Unmarshal(data, &doc) != nil {
		var one xunitSuite
		if xml.Unmarshal(data, &one) != nil {
			return nil
		}
		doc.Suites = []xunitSuite{one}
	}
	all := doc.Cases
	for _, s := range doc.Suites {
		all = append(all, s.Cases...)
	}
	var cases []report.Case
	for _, c := range all {
		rc := report.Case{Name: c.Classname + "::" + c.Name, Class: suite, File: c.File, Line: c.Line + 1,
			Duration: time.Duration(c.Time * float64(time.Second)), Status: report.Passed}
		if c.Line == 0 && c.File == "" {
			rc.Line = 0
		}
		switch {
		case c.Failure != nil:
			rc.Status, rc.Message, rc.Output = report.Failed, c.Failure.Message, c.Failure.Text
		case c.Error != nil:
			rc.Status, rc.Message, rc.Output = report.Errored, c.Error.Message, c.Error.Text
		case c.Skipped != nil:
			rc.Status, rc.Message = report.Skipped, c.Skipped.Message
		}
		if rc.Output != "" {
			if n := failingLine(rc.Output, c.File); n > 0 {
				rc.Line = n
			}
		}
		cases = append(cases, rc)
	}
	return cases
}

// unittest -v prints "test_x (module.Class.test_x) ... ok".
var unittestLine = regexp.MustCompile(`(?m)^(\w+) \(([\w.]+)\)(?:\n.*?)? \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$`)

// parseUnittest turns unittest's verbose lines into cases.
func parseUnittest(log, suite, file string) []report.Case {
	var cases []report.Case
	for _, m := range unittestLine.FindAllStringSubmatch(log, -1) {
		c := report.Case{Name: m[2], Class: suite, File: file, Status: report.Passed}
		if !strings.HasSuffix(m[2], "."+m[1]) {
			c.Name = m[2] + "." + m[1]
		}
		switch {
		case m[3] == "FAIL" || m[3] == "unexpected success":
			c.Status, c.Message = report.Failed, m[3]
		case m[3] == "ERROR":
			c.Status, c.Message = report.Errored, "error"
		case strings.HasPrefix(m[3], "skipped"):
			c.Status, c.Message = report.Skipped, strings.TrimPrefix(m[3], "skipped ")
		}
		cases = append(cases, c)
	}
	return cases
}
