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
var durationKeys = []string{"timeout", "timeout_per_file", "ready_timeout", "case_timeout", "smoke_timeout", "nightly_max_age", "nightly_success_max_age", "depmap_max_age"}

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
	ix := indexer{pos: positions{}, lines: newLineStarts(data)}
	ix.p.Reset(data)
	arrays := map[string]int{}
	table := ""
	for ix.p.NextExpression() {
		e := ix.p.Expression()
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
			ix.pos[table] = ix.keyStart(e)
		case unstable.KeyValue:
			ix.keyValue(e, table)
		}
	}
	return ix.pos
}

// indexer records key positions while walking one document.
type indexer struct {
	p     unstable.Parser
	lines lineStarts
	pos   positions
}

// lineStarts holds the offset of every line's first byte. Positions come
// from it by binary search: the parser's own Shape counts lines from the
// start of the document on every call, which made indexing a large file
// quadratic (100,000 suites took tens of minutes).
type lineStarts []int

func newLineStarts(data []byte) lineStarts {
	starts := lineStarts{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// at converts a byte offset into a 1-based line and byte column.
func (ls lineStarts) at(offset int) unstable.Position {
	line, exact := slices.BinarySearch(ls, offset)
	if !exact {
		line-- // offset lies inside the line that starts before it
	}
	return unstable.Position{Offset: offset, Line: line + 1, Column: offset - ls[line] + 1}
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

func (ix *indexer) keyValue(e *unstable.Node, prefix string) {
	k := e.Key()
	path := joinPath(prefix, joinKey(&k))
	ix.pos[path] = ix.keyStart(e)
	ix.value(e.Value(), path)
}

func (ix *indexer) value(v *unstable.Node, path string) {
	switch v.Kind {
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			n := it.Node()
			elem := fmt.Sprintf("%s[%d]", path, i)
			if r := n.Raw; r.Length > 0 {
				ix.pos[elem] = ix.lines.at(int(r.Offset))
			} else if _, ok := ix.pos[elem]; !ok {
				ix.pos[elem] = ix.pos[path]
			}
			ix.value(n, elem)
		}
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			n := it.Node()
			if n.Kind == unstable.KeyValue {
				ix.keyValue(n, path)
			}
		}
	}
}

// keyStart is where the first part of an expression's key is written.
func (ix *indexer) keyStart(e *unstable.Node) unstable.Position {
	k := e.Key()
	if k.Next() {
		if r := k.Node().Raw; r.Length > 0 {
			return ix.lines.at(int(r.Offset))
		}
		if d := k.Node().Data; len(d) > 0 {
			if off := offsetIn(ix.p.Data(), d); off >= 0 {
				return ix.lines.at(off)
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
