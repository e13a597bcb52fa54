package readme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFindsAStaleBlockAndUpdateRewritesIt(t *testing.T) {
	b := Block{Name: "demo table", Pkg: "demo"}
	path := filepath.Join(t.TempDir(), "README.md")
	doc := "# Title\n" + b.Begin() + "\n\n| old |\n" + b.End() + "\ntail\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	err := b.Check(path, "| new |\n", false)
	if err == nil || !strings.Contains(err.Error(), "go test ./internal/demo -update") {
		t.Fatalf("stale block: %v; want the command that fixes it", err)
	}
	if err := b.Check(path, "| new |\n", true); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(path, "| new |\n", false); err != nil {
		t.Fatalf("after -update: %v", err)
	}
	got, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(got), b.End()+"\ntail\n") || strings.Contains(string(got), "old") {
		t.Fatalf("rewritten README:\n%s", got)
	}
	if err := (Block{Name: "missing", Pkg: "demo"}).Check(path, "x", false); err == nil ||
		!strings.Contains(err.Error(), "<!-- end of missing -->") {
		t.Fatalf("missing markers: %v; want them named", err)
	}
}
