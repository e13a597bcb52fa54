package lint

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sgl-project/tpuci/internal/proc"
)

// Execute runs the plan's commands one after another, appending each
// command line and its output to log, and returns all findings.
func Execute(ctx context.Context, p *Plan, log io.Writer) ([]Finding, error) {
	var all []Finding
	for _, c := range p.Cmds {
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		o, runErr := proc.Run(ctx, c)
		fmt.Fprintf(log, "$ %s\n%s%s\n", c.String(), stdout.Bytes(), stderr.Bytes())
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		// pylint's exit code is a bit mask; 32 is a usage error, 1 a fatal message.
		if o.TimedOut || o.Crashed() || o.ExitCode&32 != 0 {
			return nil, fmt.Errorf("lint: pylint %s: %s", o.Describe(), lastLine(stderr.String()))
		}
		fs, err := Parse(stdout.Bytes())
		if err != nil {
			return nil, err
		}
		if runErr != nil && len(fs) == 0 {
			return nil, fmt.Errorf("lint: pylint %s with no findings: %s", o.Describe(), lastLine(stderr.String()))
		}
		all = append(all, fs...)
	}
	sortFindings(all)
	return all, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// SplitUnparsable removes syntax errors from findings and returns the
// files they were in: with an interpreter older than the checkout
// requires, they say nothing about the code.
func SplitUnparsable(fs []Finding) (kept []Finding, files []string) {
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Symbol != "syntax-error" {
			kept = append(kept, f)
			continue
		}
		if !seen[f.Path] {
			seen[f.Path] = true
			files = append(files, f.Path)
		}
	}
	return kept, files
}
