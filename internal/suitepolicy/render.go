package suitepolicy

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
)

// Render writes suites as [[suite]] blocks that tpuci loads back.
func Render(w io.Writer, suites []config.Suite, unmapped []string) error {
	var b strings.Builder
	for _, s := range suites {
		b.WriteString("\n[[suite]]\n")
		fmt.Fprintf(&b, "name = %s\n", strconv.Quote(s.Name))
		switch {
		case s.Target != "":
			fmt.Fprintf(&b, "target = %s\n", strconv.Quote(s.Target))
		case s.Exclude != "":
			fmt.Fprintf(&b, "exclude = %s\n", strconv.Quote(s.Exclude))
		case contains(unmapped, s.Name):
			b.WriteString("# unmapped: the policy does not know this suite; set target = \"unitTest1\" (or another target) or exclude = \"why\"\n")
		}
		fmt.Fprintf(&b, "chips = %d\npartitions = %d\n", s.Chips, max(s.Partitions, 1))
		if s.TimeoutPerFile.Duration > 0 {
			fmt.Fprintf(&b, "timeout_per_file = %s\n", strconv.Quote(s.TimeoutPerFile.Duration.String()))
		}
		if s.Reruns > 0 {
			fmt.Fprintf(&b, "reruns = %d\n", s.Reruns)
		}
		renderFiles(&b, s.Files)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderFiles(b *strings.Builder, files []config.File) {
	if len(files) == 0 {
		b.WriteString("files = []\n")
		return
	}
	b.WriteString("files = [\n")
	for _, f := range files {
		fmt.Fprintf(b, "  { path = %s, minutes = %s", strconv.Quote(f.Path), strconv.FormatFloat(f.Minutes, 'f', -1, 64))
		if f.Runner != "" && f.Runner != config.RunnerPython {
			fmt.Fprintf(b, ", runner = %s", strconv.Quote(f.Runner))
		}
		if len(f.Methods) > 0 {
			q := make([]string, len(f.Methods))
			for i, m := range f.Methods {
				q[i] = strconv.Quote(m)
			}
			fmt.Fprintf(b, ", methods = [%s]", strings.Join(q, ", "))
		}
		if f.CoveredBy != "" {
			fmt.Fprintf(b, ", covered_by = %s", strconv.Quote(f.CoveredBy))
		}
		b.WriteString(" },\n")
	}
	b.WriteString("]\n")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WithSuites returns a whole configuration: the TOML text base (the
// embedded default) with its [[suite]] blocks replaced by rendered.
func WithSuites(base []byte, rendered string) ([]byte, error) {
	lines := strings.SplitAfter(string(base), "\n")
	first, last := -1, -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case t == "[[suite]]":
			if first < 0 {
				first = i
			}
			last = i
		case first >= 0 && strings.HasPrefix(t, "[") && last >= 0:
			// Past the suites: stop at this header's comment block.
			end := i
			for end > last && (strings.HasPrefix(strings.TrimSpace(lines[end-1]), "#") || strings.TrimSpace(lines[end-1]) == "") {
				end--
			}
			return join(lines[:first], rendered, "\n", lines[end:]), nil
		}
	}
	if first < 0 {
		return append(bytes.Clone(base), rendered...), nil
	}
	return join(lines[:first], rendered), nil
}

func join(parts ...any) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		case []string:
			for _, s := range v {
				b.WriteString(s)
			}
		}
	}
	return b.Bytes()
}
