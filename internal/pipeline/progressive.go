package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Step is one target of a progressive run.
type Step struct {
	Name  string
	Fn    any      // the mage target, handed back to invoke
	Needs []string // the steps that must pass before it runs
}

// Progressive runs steps in order (a topological order of their Needs):
// a step runs when every step it needs passed in this run, even when an
// unrelated one failed, and is recorded as not run otherwise; after an
// interrupt nothing more runs. invoke runs a step through mage, so that
// dependencies dedupe.
func (s *Session) Progressive(ctx context.Context, steps []Step, invoke func(context.Context, any) error) error {
	passed := map[string]bool{}
	var failed []error
	for _, st := range steps {
		if why := s.Interrupted(); why != nil {
			_ = s.Fail(st.Name, why)
			continue
		}
		if blocked := notPassed(st.Needs, passed); len(blocked) > 0 {
			_ = s.Fail(st.Name, fmt.Errorf("%s did not pass", strings.Join(blocked, ", ")))
			continue
		}
		if err := invoke(AsDependency(ctx), st.Fn); err != nil {
			failed = append(failed, err)
			continue
		}
		passed[st.Name] = true
	}
	return errors.Join(failed...)
}

// notPassed are the needs that did not pass.
func notPassed(needs []string, passed map[string]bool) []string {
	var out []string
	for _, n := range needs {
		if !passed[n] {
			out = append(out, n)
		}
	}
	return out
}
