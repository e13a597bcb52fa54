package suitepolicy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Workflows is what the checkout's GitHub workflows say about suites.
type Workflows struct {
	Sizes map[string]int      // suite -> matrix size (--auto-partition-size)
	Files map[string][]string // suite -> workflow files that run it
}

var (
	suiteArg = regexp.MustCompile(`--suite[= ]+["']?([A-Za-z0-9_.-]+)`)
	sizeArg  = regexp.MustCompile(`--auto-partition-size[= ]+["']?(\d+)`)
)

// ReadWorkflows scans .github/workflows/*.yml for run_suite.py command
// lines; a checkout without workflows gives empty maps.
func ReadWorkflows(repo string) (Workflows, error) {
	w := Workflows{Sizes: map[string]int{}, Files: map[string][]string{}}
	var paths []string
	for _, ext := range []string{"*.yml", "*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(repo, ".github", "workflows", ext))
		paths = append(paths, m...)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return w, fmt.Errorf("suites: read %s: %w", p, err)
		}
		name := filepath.Base(p)
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, "run_suite.py") {
				continue
			}
			m := suiteArg.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if len(w.Files[m[1]]) == 0 || w.Files[m[1]][len(w.Files[m[1]])-1] != name {
				w.Files[m[1]] = append(w.Files[m[1]], name)
			}
			if s := sizeArg.FindStringSubmatch(line); s != nil {
				n, _ := strconv.Atoi(s[1])
				w.Sizes[m[1]] = max(w.Sizes[m[1]], n)
			}
		}
	}
	return w, nil
}

// PRSuites lists the suites a pull-request workflow (pr-test.yml) runs.
func (w Workflows) PRSuites() []string {
	var out []string
	for s, files := range w.Files {
		for _, f := range files {
			if strings.HasPrefix(f, "pr-test.") {
				out = append(out, s)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
