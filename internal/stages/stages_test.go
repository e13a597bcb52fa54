package stages

import "testing"

// The table is a topological order of Needs (pr runs it in that order)
// with unique names, and every need is a stage of the same pipeline.
func TestTableIsATopologicalOrder(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Table {
		if seen[s.Name] {
			t.Errorf("%s: listed twice", s.Name)
		}
		for _, n := range s.Needs {
			need, ok := Get(n)
			switch {
			case !ok:
				t.Errorf("%s needs %s, which is no stage", s.Name, n)
			case !seen[n]:
				t.Errorf("%s needs %s, which comes after it", s.Name, n)
			case need.PR != s.PR:
				t.Errorf("%s needs %s of another pipeline", s.Name, n)
			}
		}
		seen[s.Name] = true
	}
}
