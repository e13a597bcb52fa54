package pipeline

import (
	"context"
	"errors"
	"fmt"
)

// Step is one target inside a progressive group.
type Step struct {
	Name string
	Fn   any // the mage target, handed back to Invoke
}

// Progressive runs groups in order: every step of a group runs even when
// a sibling fails, and the next group starts only when the whole group
// passed. invoke runs a step (through mage, so dependencies dedupe).
func (s *Session) Progressive(ctx context.Context, groups [][]Step, invoke func(context.Context, any) error) error {
	var failed []error
	for i, group := range groups {
		if len(failed) > 0 || s.Interrupted() != nil {
			why := errors.Join(failed...)
			if s.Interrupted() != nil {
				why = s.Interrupted()
			}
			for _, g := range groups[i:] {
				for _, st := range g {
					_ = s.Fail(st.Name, fmt.Errorf("an earlier stage failed (%s)", shortErr(why)))
				}
			}
			break
		}
		for _, st := range group {
			if err := invoke(AsDependency(ctx), st.Fn); err != nil {
				failed = append(failed, err)
			}
		}
	}
	return errors.Join(failed...)
}

func shortErr(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for i, r := range msg {
		if r == '\n' {
			return msg[:i] + ", ..."
		}
	}
	return msg
}
