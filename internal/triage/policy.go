package triage

import (
	"time"

	"github.com/sgl-project/tpuci/internal/config"
)

// PolicyOf reads [triage] from the config, defaults filled in (a nil
// config gives the defaults).
func PolicyOf(c *config.Config) Policy {
	t := config.Triage{}
	if c != nil {
		t = c.Triage
	}
	def := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return v
	}
	p := Policy{
		FlakyWindow:     time.Duration(def(t.FlakyDays, config.DefaultFlakyDays)) * 24 * time.Hour,
		FlakyVerdicts:   def(t.FlakyVerdicts, config.DefaultFlakyVerdicts),
		FlakyMin:        def(t.FlakyMin, config.DefaultFlakyMin),
		FlakyRate:       t.FlakyRate,
		Retries:         t.Retries,
		MainRedBlocks:   t.MainRedBlocks,
		UnquarantineRun: def(t.UnquarantineAfter, config.DefaultUnquarantineAfter),
	}
	if !(p.FlakyRate > 0) {
		p.FlakyRate = config.DefaultFlakyRate
	}
	if c == nil {
		p.Retries = config.DefaultRetries
	}
	return p
}

// QuarantineOf lists the config's [[quarantine]] entries; Expires is the
// entry's last day (00:00 UTC): it holds until the day after.
func QuarantineOf(c *config.Config) []Quarantine {
	if c == nil {
		return nil
	}
	out := make([]Quarantine, 0, len(c.Quarantine))
	for _, q := range c.Quarantine {
		out = append(out, Quarantine{Test: q.Test, Reason: q.Reason, Owner: q.Owner, Issue: q.Issue,
			Expires: q.Expires.AsTime(time.UTC), Line: q.Line})
	}
	return out
}

// Holds says whether the entry is in force at now: before the end of its
// last day, UTC.
func (q Quarantine) Holds(now time.Time) bool {
	return now.Before(q.Expires.AddDate(0, 0, 1))
}

// Covers says whether the entry names the test: the test itself, or the
// file (or kernel) the test belongs to.
func (q Quarantine) Covers(test string) bool {
	return test == q.Test || len(test) > len(q.Test)+2 && test[:len(q.Test)+2] == q.Test+"::"
}
