package compare

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/config"
)

// The base revision's own configuration is held to the same paths as
// the head's: a kernel script outside its checkout is refused.
func TestBaseConfigPathsStayInsideTheBase(t *testing.T) {
	head, base := t.TempDir(), t.TempDir()
	headCfg := filepath.Join(head, "tpuci.toml")
	if err := os.WriteFile(headCfg, []byte("[pallas]\nbaselines = \"b.toml\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := "[[pallas.kernel]]\nname = \"k\"\nfile = \"../../bin/evil.py\"\ntolerance = 0.1\n"
	if err := os.WriteFile(filepath.Join(base, "tpuci.toml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(headCfg)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = BaseConfig(head, cfg, &Base{Ref: "HEAD~1", Commit: "c", Root: base})
	if err == nil || !strings.Contains(err.Error(), ":3:1: pallas.kernel[0].file: \"../../bin/evil.py\" leads outside the checkout") {
		t.Fatalf("got %v", err)
	}
}
