// Package readme keeps the README's generated blocks: each lies between
// two markers and shows a table of the code, rewritten by the owning
// package's test with -update and checked by it otherwise.
package readme

import (
	"fmt"
	"os"
	"strings"
)

// Block is one generated block: Name says what it shows ("settings
// table"), Pkg the package under internal/ that renders it.
type Block struct{ Name, Pkg string }

// Begin is the block's opening marker.
func (b Block) Begin() string {
	return fmt.Sprintf("<!-- %s: generated from internal/%s (go test ./internal/%s -update) -->", b.Name, b.Pkg, b.Pkg)
}

// End is the block's closing marker.
func (b Block) End() string { return "<!-- end of " + b.Name + " -->" }

// Splice returns doc with the block's text replaced by body.
func (b Block) Splice(doc, body string) (string, error) {
	i, j := strings.Index(doc, b.Begin()), strings.Index(doc, b.End())
	if i < 0 || j < i {
		return "", fmt.Errorf("readme: %s: no %q ... %q block", b.Name, b.Begin(), b.End())
	}
	return doc[:i+len(b.Begin())] + "\n\n" + body + "\n" + doc[j:], nil
}

// Check compares the block in the file at path with body; with update it
// rewrites the file instead.
func (b Block) Check(path, body string, update bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("readme: %w", err)
	}
	want, err := b.Splice(string(data), body)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if update {
		return os.WriteFile(path, []byte(want), 0o644)
	}
	if want != string(data) {
		return fmt.Errorf("%s: the %s is stale: run go test ./internal/%s -update", path, b.Name, b.Pkg)
	}
	return nil
}
