package tinymodel

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/needs"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The plan of every generated model, file by file, is reviewed as a golden file.
func TestPlanGolden(t *testing.T) {
	for _, name := range Names() {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "model %s, vocab %d, key %s\n", name, m.Vocab, m.Key())
		for _, f := range m.fileNames() {
			fmt.Fprintf(&b, "\n== %s\n%s", f, m.Files[f])
		}
		golden := filepath.Join("testdata", strings.TrimPrefix(name, Scheme)+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s: plan differs from %s (go test -update to accept):\n%s", name, golden, b.String())
		}
	}
}

func TestLookupRejectsUnknownNames(t *testing.T) {
	for _, model := range []string{"tiny-qwen3", "tpuci:", "tpuci:nope", "tpuci:tiny-qwen3/..", "Qwen/Qwen3-8B"} {
		if _, err := Lookup(model); err == nil || !strings.Contains(err.Error(), "tpuci:tiny-qwen3") {
			t.Errorf("Lookup(%q) = %v, want an error naming the known models", model, err)
		}
	}
}

// fakePython writes a script that stands in for python: it writes a
// tokenizer.json into its second argument, or fails when asked to.
func fakePython(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Ensure builds once, reuses the directory, and a failed build leaves
// nothing behind that a later run would reuse.
func TestEnsureBuildsOnceAndFailsCleanly(t *testing.T) {
	m, _ := Lookup("tpuci:tiny-qwen3")
	cache := t.TempDir()
	bad := fakePython(t, `echo "ModuleNotFoundError: No module named 'tokenizers'" >&2; exit 1`)
	if _, _, err := Ensure(context.Background(), bad, cache, m); err == nil || !strings.Contains(err.Error(), "No module named 'tokenizers'") {
		t.Fatalf("a failing build: %v, want the python's last lines", err)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Fatalf("a failed build left %v", entries)
	}
	good := fakePython(t, `echo '{}' > "$3/tokenizer.json"`)
	dir, built, err := Ensure(context.Background(), good, cache, m)
	if err != nil || !built || dir != m.Dir(cache) {
		t.Fatalf("Ensure = %s, %v, %v", dir, built, err)
	}
	for name := range m.Files {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(m.Files)+1 {
		t.Errorf("model dir holds %d entries, want the %d planned files and tokenizer.json", len(entries), len(m.Files))
	}
	if _, built, err := Ensure(context.Background(), bad, cache, m); err != nil || built {
		t.Fatalf("second Ensure rebuilt or failed: built %v, %v", built, err)
	}
}

// With a python that has tokenizers (TPUCI_SGLANG_JAX_PYTHON, as the
// opt-in server test uses), the script builds a tokenizer of exactly the
// planned vocabulary with the special tokens last.
func TestEnsureWithTokenizers(t *testing.T) {
	python := os.Getenv("TPUCI_SGLANG_JAX_PYTHON")
	if python == "" {
		t.Skip("TPUCI_SGLANG_JAX_PYTHON unset: point it at a python with the tokenizers package")
	}
	needs.PythonModules(t, python, "pip install tokenizers", "tokenizers")
	m, _ := Lookup("tpuci:tiny-qwen3")
	dir, _, err := Ensure(context.Background(), python, t.TempDir(), m)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id": 511,` + "\n" + `      "content": "<|im_end|>"`, `"<tok`, `"type": "BPE"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("tokenizer.json lacks %s", want)
		}
	}
}
