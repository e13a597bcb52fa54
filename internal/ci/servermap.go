package ci

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/impact"
)

// serverTargets are the targets whose tests start SGLang-JAX's server.
var serverTargets = []string{"e2e", "perf", "accuracy"}

// servedBy are the recorded servers of a set of architectures: the files
// they loaded and the reach of the changes outside them.
type servedBy struct {
	loaded  map[string]bool
	at      string
	outside *impact.Reach
}

// servers returns the fresh recorded servers of archs; ok is false when
// the target starts no server, or an architecture has no record, or one
// is older than [ci].depmap_max_age: the static rules decide then.
func (w *work) servers(g *impact.Graph, archs []string, changed []string) (*servedBy, bool) {
	if !slices.Contains(serverTargets, w.target) || len(archs) == 0 {
		return nil, false
	}
	archs = slices.Compact(slices.Sorted(slices.Values(archs)))
	key := strings.Join(archs, ",")
	if s, ok := w.served[key]; ok {
		return s, s != nil
	}
	s := &servedBy{loaded: map[string]bool{}}
	var oldest depmap.Entry
	for _, a := range archs {
		e, ok := w.opts.Deps[depmap.ServerKey(a)]
		if !ok || w.opts.Now.Sub(e.Date) > w.cfg.CI.DepMapAge() {
			s = nil
			break
		}
		if oldest.Date.IsZero() || e.Date.Before(oldest.Date) {
			oldest = e
		}
		for _, m := range e.Modules {
			s.loaded[m] = true
		}
	}
	if s != nil {
		s.at = fmt.Sprintf("the %s server at %s (%s ago)", key, short(oldest.Commit),
			w.opts.Now.Sub(oldest.Date).Round(time.Hour))
		var out []string
		for _, c := range changed {
			if !s.loaded[c] {
				out = append(out, c)
			}
		}
		s.outside = g.ReachOutside(out, s.loaded)
	}
	if w.served == nil {
		w.served = map[string]*servedBy{}
	}
	w.served[key] = s
	return s, s != nil
}

// reachOf is the reach of one changed file, computed once per target.
func (w *work) reachOf(g *impact.Graph, c string) *impact.Reach {
	if r, ok := w.single[c]; ok {
		return r
	}
	if w.single == nil {
		w.single = map[string]*impact.Reach{}
	}
	w.single[c] = g.Reach([]string{c})
	return w.single[c]
}

// byServer decides a test (or case) of a server target by the recorded
// servers of its architectures. A changed file the servers loaded selects
// it as the static rules would, or, when no import links the two and the
// file registers no other architecture's model, because it was loaded. A
// changed file they did not load selects it only through files outside
// the record (the test's own imports). decide is the static rule applied
// to a reach. fresh is false when the static rules decide.
func (w *work) byServer(g *impact.Graph, test string, archs, changed []string,
	decide func(*impact.Reach) (string, bool)) (why string, ok, fresh bool) {
	s, fresh := w.servers(g, archs, changed)
	if !fresh {
		return "", false, false
	}
	for _, c := range changed {
		if c == test {
			return "the test itself changed", true, true
		}
		if !s.loaded[c] {
			continue
		}
		r := w.reachOf(g, c)
		if why, ok := decide(r); ok {
			return why, true, true
		}
		if !r.ReachesModel() {
			return fmt.Sprintf("%s loaded %s (changed), as recorded", s.at, c), true, true
		}
	}
	if why, ok := decide(s.outside); ok {
		return why + ", outside what its server loads", true, true
	}
	return fmt.Sprintf("its servers load none of the changed files, as recorded by %s", s.at), false, true
}

// suiteByServer is byServer for a suite file, whose architectures are
// those of the models it names; one the table does not map leaves the
// decision to the static rules.
func (w *work) suiteByServer(g *impact.Graph, test string, changed []string) (string, bool, bool) {
	if !slices.Contains(serverTargets, w.target) {
		return "", false, false
	}
	archs, unknown := g.Archs(g.ModelRefs(test))
	if len(unknown) > 0 {
		return "", false, false
	}
	decide := func(r *impact.Reach) (string, bool) { return r.Test(test) }
	return w.byServer(g, test, archs, changed, decide)
}
