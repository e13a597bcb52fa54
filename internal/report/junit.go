package report

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sgl-project/tpuci/internal/textline"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	File      string `xml:"file,attr,omitempty"`
	Line      int    `xml:"line,attr,omitempty"`
	Time      string `xml:"time,attr"`
	// Properties carry the file's compile accounting (tpuci.compiles...).
	Properties *junitProperties `xml:"properties,omitempty"`
	Failure    *junitMessage    `xml:"failure,omitempty"`
	Error      *junitMessage    `xml:"error,omitempty"`
	Skipped    *junitMessage    `xml:"skipped,omitempty"`
	// Reruns in Maven Surefire's form (also read by Jenkins and GitLab):
	// earlier failed attempts of a case that passed in the end, or of one
	// that failed every time.
	FlakyFailures []junitRerun `xml:"flakyFailure,omitempty"`
	FlakyErrors   []junitRerun `xml:"flakyError,omitempty"`
	RerunFailures []junitRerun `xml:"rerunFailure,omitempty"`
	RerunErrors   []junitRerun `xml:"rerunError,omitempty"`
	SystemOut     string       `xml:"system-out,omitempty"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// compileProperties are a case's compile counts as JUnit properties.
func compileProperties(c Case) *junitProperties {
	s := c.Compiles
	if s == nil {
		return nil
	}
	p := &junitProperties{Property: []junitProperty{
		{"tpuci.compiles", strconv.Itoa(s.Compiles)},
		{"tpuci.compile_seconds", strconv.FormatFloat(s.CompileSeconds, 'f', 3, 64)},
		{"tpuci.cache_hits", strconv.Itoa(s.CacheHits)},
		{"tpuci.cache_misses", strconv.Itoa(s.CacheMisses)},
		{"tpuci.cache_off", strconv.Itoa(s.CacheOff)},
		{"tpuci.compiles_after_warmup", strconv.Itoa(len(s.AfterWarmup))},
	}}
	for i, a := range s.AfterWarmup {
		p.Property = append(p.Property, junitProperty{fmt.Sprintf("tpuci.compile_after_warmup.%d", i+1), clean(a.String())})
	}
	return p
}

type junitRerun struct {
	Message    string `xml:"message,attr"`
	Type       string `xml:"type,attr"`
	StackTrace string `xml:"stackTrace,omitempty"`
	SystemOut  string `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// JUnit renders a stage as JUnit XML, grouping cases by Class.
func JUnit(s *TargetResult) ([]byte, error) {
	root := junitSuites{Name: s.Target, Time: secs(s.Duration.Seconds())}
	index := map[string]int{}
	for _, c := range s.Cases {
		class := c.Class
		if class == "" {
			class = s.Target
		}
		i, ok := index[class]
		if !ok {
			i = len(root.Suites)
			index[class] = i
			root.Suites = append(root.Suites, junitSuite{Name: class})
		}
		js := &root.Suites[i]
		jc := junitCase{Name: c.Name, Classname: class, File: c.File, Line: c.Line, Time: secs(c.Duration.Seconds()),
			Properties: compileProperties(c)}
		if c.CarriedOver != "" {
			if jc.Properties == nil {
				jc.Properties = &junitProperties{}
			}
			jc.Properties.Property = append(jc.Properties.Property, junitProperty{"tpuci.carried_over", clean(c.CarriedOver)})
		}
		msg := &junitMessage{Message: clean(textline.First(c.Message)), Text: clean(c.Message + "\n" + c.Output)}
		switch c.Status {
		case Failed:
			jc.Failure = msg
			js.Failures++
		case Errored:
			jc.Error = msg
			js.Errors++
		case Skipped:
			jc.Skipped = &junitMessage{Message: clean(c.Message)}
			js.Skipped++
		}
		addReruns(&jc, c)
		js.Tests++
		js.Time = addSecs(js.Time, c.Duration.Seconds())
		js.Cases = append(js.Cases, jc)
	}
	for _, js := range root.Suites {
		root.Tests += js.Tests
		root.Failures += js.Failures
		root.Errors += js.Errors
		root.Skipped += js.Skipped
	}
	out, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encode junit: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// addReruns files each earlier attempt as flaky (the case passed in the
// end) or as a rerun failure (it never passed).
func addReruns(jc *junitCase, c Case) {
	for _, a := range c.Attempts {
		r := junitRerun{Message: clean(textline.First(a.Message)), Type: string(a.Status), StackTrace: clean(a.Message + "\n" + a.Output)}
		var out []string
		if a.Class != "" {
			why := "retried: " + a.Class
			if a.Rule != "" {
				why += " (" + a.Rule + ")"
			}
			out = append(out, why)
		}
		if a.Log != "" {
			out = append(out, "log: "+a.Log)
		}
		r.SystemOut = clean(strings.Join(out, "\n"))
		errored := a.Status == Errored
		switch {
		case c.Status == Passed && errored:
			jc.FlakyErrors = append(jc.FlakyErrors, r)
		case c.Status == Passed:
			jc.FlakyFailures = append(jc.FlakyFailures, r)
		case errored:
			jc.RerunErrors = append(jc.RerunErrors, r)
		default:
			jc.RerunFailures = append(jc.RerunFailures, r)
		}
	}
}

func secs(v float64) string { return fmt.Sprintf("%.3f", v) }

func addSecs(cur string, v float64) string {
	f, _ := strconv.ParseFloat(cur, 64) // empty: 0
	return secs(f + v)
}

// clean drops bytes XML 1.0 cannot carry (ANSI escapes, NUL, invalid UTF-8).
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			b.WriteRune('?')
			continue
		}
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
