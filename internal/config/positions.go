package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// positions maps key paths such as "suite[2].files[0].path" to line:col.
type positions map[string]unstable.Position

// has reports whether the file sets the key at path.
func (p positions) has(path string) bool {
	_, ok := p[path]
	return ok
}

// durationKeys are the names of Duration fields.
var durationKeys = []string{"timeout", "timeout_per_file", "ready_timeout", "case_timeout", "smoke_timeout", "nightly_max_age", "nightly_success_max_age"}

// valueAt finds the first duration key (by position) whose value is
// written as text, bare or quoted, and returns its path and position.
func (p positions) valueAt(data []byte, text string) (string, unstable.Position) {
	lines := strings.Split(string(data), "\n")
	var best string
	var bestPos unstable.Position
	for path, at := range p {
		if at.Line < 1 || at.Line > len(lines) || at.Column < 1 || at.Column > len(lines[at.Line-1]) {
			continue
		}
		key, val, ok := strings.Cut(lines[at.Line-1][at.Column-1:], "=")
		if !ok || !slices.Contains(durationKeys, strings.Trim(strings.TrimSpace(key), `"'`)) {
			continue
		}
		val = strings.TrimSpace(strings.SplitN(val, "#", 2)[0])
		val = strings.TrimRight(val, ",}] ")
		if val != text && val != strconv.Quote(text) && val != "'"+text+"'" {
			continue
		}
		if best == "" || at.Line < bestPos.Line || (at.Line == bestPos.Line && at.Column < bestPos.Column) {
			best, bestPos = path, at
		}
	}
	return best, bestPos
}

// indexPositions walks the document and records where every key is.
func indexPositions(data []byte) positions {
	pos := positions{}
	p := unstable.Parser{}
	p.Reset(data)
	arrays := map[string]int{}
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			k := e.Key()
			name := joinKey(&k)
			if e.Kind == unstable.ArrayTable {
				idx := arrays[name]
				arrays[name] = idx + 1
				// Reset nested array-table counters under a new element.
				for a := range arrays {
					if strings.HasPrefix(a, name+".") {
						delete(arrays, a)
					}
				}
				name = fmt.Sprintf("%s[%d]", name, idx)
				table = withIndices(name, arrays)
			} else {
				table = withIndices(name, arrays)
			}
			pos[table] = shapeOf(&p, e)
		case unstable.KeyValue:
			indexKeyValue(&p, e, table, pos)
		}
	}
	return pos
}

// withIndices rewrites a dotted table name so that array-table parents
// carry the index of their current element ("suite.x" -> "suite[3].x").
func withIndices(name string, arrays map[string]int) string {
	if strings.Contains(name, "[") {
		return name
	}
	parts := strings.Split(name, ".")
	out := ""
	for i, part := range parts {
		if i > 0 {
			out += "."
		}
		out += part
		plain := strings.Join(parts[:i+1], ".")
		if n, ok := arrays[plain]; ok && i < len(parts)-1 {
			out += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	return out
}

func indexKeyValue(p *unstable.Parser, e *unstable.Node, prefix string, pos positions) {
	k := e.Key()
	path := joinPath(prefix, joinKey(&k))
	pos[path] = shapeOf(p, e)
	indexValue(p, e.Value(), path, pos)
}

func indexValue(p *unstable.Parser, v *unstable.Node, path string, pos positions) {
	switch v.Kind {
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			n := it.Node()
			elem := fmt.Sprintf("%s[%d]", path, i)
			if r := n.Raw; r.Length > 0 {
				pos[elem] = p.Shape(r).Start
			} else if _, ok := pos[elem]; !ok {
				pos[elem] = pos[path]
			}
			indexValue(p, n, elem, pos)
		}
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			n := it.Node()
			if n.Kind == unstable.KeyValue {
				indexKeyValue(p, n, path, pos)
			}
		}
	}
}

func shapeOf(p *unstable.Parser, e *unstable.Node) unstable.Position {
	k := e.Key()
	if k.Next() {
		if r := k.Node().Raw; r.Length > 0 {
			return p.Shape(r).Start
		}
		if d := k.Node().Data; len(d) > 0 {
			if off := offsetIn(p.Data(), d); off >= 0 {
				return p.Shape(unstable.Range{Offset: uint32(off), Length: uint32(len(d))}).Start
			}
		}
	}
	return unstable.Position{Line: 1, Column: 1}
}

// offsetIn finds where sub starts inside data when it aliases it.
func offsetIn(data, sub []byte) int {
	if len(sub) == 0 || len(data) == 0 {
		return -1
	}
	start := uintptrOf(data)
	s := uintptrOf(sub)
	if s < start || s >= start+uintptr(len(data)) {
		return -1
	}
	return int(s - start)
}

func joinKey(it *unstable.Iterator) string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return strings.Join(parts, ".")
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// at returns "line:col" for a key path, walking up to the nearest known parent.
func (ps positions) at(path string) (int, int) {
	for path != "" {
		if p, ok := ps[path]; ok {
			return p.Line, p.Column
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0, 0
}
