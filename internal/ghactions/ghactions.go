// Package ghactions writes GitHub Actions workflow commands, outputs and
// step summaries, and does the local equivalent elsewhere.
package ghactions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/settings"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Provider is where CI-specific side effects go.
type Provider struct {
	Active  bool   // running on GitHub Actions
	Output  string // $GITHUB_OUTPUT
	Summary string // $GITHUB_STEP_SUMMARY
	W       io.Writer
	mu      sync.Mutex
}

// FromEnv builds a provider from the environment.
func FromEnv(getenv func(string) string, w io.Writer) *Provider {
	return &Provider{
		Active:  getenv("GITHUB_ACTIONS") == "true",
		Output:  getenv("GITHUB_OUTPUT"),
		Summary: getenv("GITHUB_STEP_SUMMARY"),
		W:       w,
	}
}

// FromSettings builds a provider from the parsed environment.
func FromSettings(gh settings.GitHub, w io.Writer) *Provider {
	return &Provider{Active: gh.Actions, Output: gh.Output, Summary: gh.StepSummary, W: w}
}

// Group starts a foldable section on GitHub; locally it prints nothing.
func (p *Provider) Group(title string) {
	if p.Active {
		p.mu.Lock()
		fmt.Fprintf(p.W, "::group::%s\n", escapeData(title))
		p.mu.Unlock()
	}
}

// EndGroup closes the section opened by Group.
func (p *Provider) EndGroup() {
	if p.Active {
		p.mu.Lock()
		fmt.Fprintln(p.W, "::endgroup::")
		p.mu.Unlock()
	}
}

// Annotation is an error or warning pinned to a file and line.
type Annotation struct {
	Level string // error | warning | notice
	File  string
	Line  int
	Col   int
	Title string
	Msg   string
}

// Annotate emits an annotation on GitHub, or a clickable file:line message locally.
func (p *Provider) Annotate(a Annotation) {
	if a.Level == "" {
		a.Level = "error"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.Active {
		loc := a.File
		if a.Line > 0 {
			loc = fmt.Sprintf("%s:%d", a.File, a.Line)
			if a.Col > 0 {
				loc += fmt.Sprintf(":%d", a.Col)
			}
		}
		if loc != "" {
			loc += ": "
		}
		fmt.Fprintln(p.W, report.Fit(fmt.Sprintf("%s%s: %s", loc, a.Level, textline.First(a.Msg))))
		return
	}
	var props []string
	if a.File != "" {
		props = append(props, "file="+escapeProp(a.File))
	}
	if a.Line > 0 {
		props = append(props, fmt.Sprintf("line=%d", a.Line))
	}
	if a.Col > 0 {
		props = append(props, fmt.Sprintf("col=%d", a.Col))
	}
	if a.Title != "" {
		props = append(props, "title="+escapeProp(a.Title))
	}
	sep := ""
	if len(props) > 0 {
		sep = " "
	}
	fmt.Fprintf(p.W, "::%s%s%s::%s\n", a.Level, sep, strings.Join(props, ","), escapeData(a.Msg))
}

// Mask hides a secret in all later log output on GitHub.
func (p *Provider) Mask(secret string) {
	if p.Active && secret != "" {
		p.mu.Lock()
		fmt.Fprintf(p.W, "::add-mask::%s\n", escapeData(secret))
		p.mu.Unlock()
	}
}

// SetOutput appends name=value to $GITHUB_OUTPUT (a heredoc for multi-line values).
func (p *Provider) SetOutput(name, value string) error {
	if p.Output == "" {
		return nil
	}
	line := name + "=" + value + "\n"
	if strings.ContainsAny(value, "\r\n") {
		d := delimiter()
		line = fmt.Sprintf("%s<<%s\n%s\n%s\n", name, d, value, d)
	}
	return appendFile(p.Output, line)
}

// AppendSummary adds Markdown to the step summary.
func (p *Provider) AppendSummary(md string) error {
	if p.Summary == "" {
		return nil
	}
	return appendFile(p.Summary, md+"\n")
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("github: open %s: %w", path, err)
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("github: write %s: %w", path, err)
	}
	return f.Close()
}

func delimiter() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "TPUCI_" + hex.EncodeToString(b)
}

func escapeData(s string) string {
	s = strings.ReplaceAll(s, "%", "%25")
	s = strings.ReplaceAll(s, "\r", "%0D")
	return strings.ReplaceAll(s, "\n", "%0A")
}

func escapeProp(s string) string {
	s = escapeData(s)
	s = strings.ReplaceAll(s, ":", "%3A")
	return strings.ReplaceAll(s, ",", "%2C")
}
