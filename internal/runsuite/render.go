package runsuite

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
)

// InferChips reads the TPU chip count from a suite name: a "v6e-1" or
// "v6e-4" part gives 1 or 4, a "cpu" part gives 0 (CPU only). ok is false
// when the name says neither, or both.
func InferChips(name string) (chips int, ok bool) {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' })
	found := map[int]bool{}
	for i, p := range parts {
		switch {
		case p == "cpu":
			found[0] = true
		case p == "v6e" && i+1 < len(parts) && parts[i+1] == "1":
			found[1] = true
		case p == "v6e" && i+1 < len(parts) && parts[i+1] == "4":
			found[4] = true
		}
	}
	if len(found) != 1 {
		return 0, false
	}
	for c := range found {
		chips = c
	}
	return chips, true
}

// InferTarget maps a suite name to the tpuci target that runs it, from
// SGLang-JAX's naming: unit-test-cpu and unit-test-*-v6e-1 -> unitTest1,
// unit-test-*-v6e-4 -> unitTest4, e2e-* -> e2e, accuracy-* -> accuracy,
// performance-* -> perf, kernel-performance-* -> pallas; "" otherwise (the
// suite then runs only on request).
func InferTarget(name string) string {
	chips, ok := InferChips(name)
	switch {
	case strings.HasPrefix(name, "unit-test-"):
		switch {
		case name == "unit-test-cpu" || strings.HasPrefix(name, "unit-test-cpu-"):
			return "unitTest1"
		case ok && chips == 1:
			return "unitTest1"
		case ok && chips == 4:
			return "unitTest4"
		}
		return ""
	case strings.HasPrefix(name, "e2e-"):
		return "e2e"
	case strings.HasPrefix(name, "accuracy-"):
		return "accuracy"
	case strings.HasPrefix(name, "performance-"):
		return "perf"
	case strings.HasPrefix(name, "kernel-performance-"):
		return "pallas"
	}
	return ""
}

// RenderTOML writes suites as tpuci [[suite]] blocks: name, the target and
// chips when the name implies them (a comment otherwise), and files as one
// inline table per line. runner is written only when it is not "python";
// partitions and timeouts are left to the reader.
func RenderTOML(suites []Suite, w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Suites imported from SGLang-JAX test/srt/run_suite.py by tpuci.\n")
	b.WriteString("# Review target, chips and partitions before use; minutes are SGLang-JAX's estimates.\n")
	for _, s := range suites {
		fmt.Fprintf(&b, "\n[[suite]]\nname = %s\n", config.QuoteTOML(s.Name))
		if t := InferTarget(s.Name); t != "" {
			fmt.Fprintf(&b, "target = %s\n", config.QuoteTOML(t))
		} else {
			b.WriteString("# target: none inferred from the name; the suite runs only via suite:run\n")
		}
		if c, ok := InferChips(s.Name); ok {
			fmt.Fprintf(&b, "chips = %d\n", c)
		} else {
			b.WriteString("# chips: not inferred from the name; set 0 (CPU only), 1 or 4\n")
		}
		if len(s.Files) == 0 {
			b.WriteString("files = []\n")
			continue
		}
		b.WriteString("files = [\n")
		for _, f := range s.Files {
			fmt.Fprintf(&b, "  { path = %s, minutes = %s", config.QuoteTOML(f.Path), strconv.FormatFloat(f.Minutes, 'f', -1, 64))
			if f.Runner != "" && f.Runner != defaultRunner {
				fmt.Fprintf(&b, ", runner = %s", config.QuoteTOML(f.Runner))
			}
			if len(f.Methods) > 0 {
				quoted := make([]string, len(f.Methods))
				for i, m := range f.Methods {
					quoted[i] = config.QuoteTOML(m)
				}
				fmt.Fprintf(&b, ", methods = [%s]", strings.Join(quoted, ", "))
			}
			b.WriteString(" },\n")
		}
		b.WriteString("]\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("suite:import: write toml: %w", err)
	}
	return nil
}
