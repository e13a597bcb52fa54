package triage

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/sgl-project/tpuci/internal/textline"
)

// Masks applied in order to a failure's first error line, so that two
// runs of one failure get one fingerprint: paths (a temp dir differs per
// run), long hex and addresses, then every remaining number.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?:[A-Za-z]:)?(?:/[\w.@+-]+){2,}/?`), "<path>"},
	{regexp.MustCompile(`\b0x[0-9a-fA-F]+\b`), "<hex>"},
	{regexp.MustCompile(`\b[0-9a-fA-F]{8,}\b`), "<hex>"},
	{regexp.MustCompile(`[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`), "<n>"},
	{regexp.MustCompile(`\s+`), " "},
}

// Normalize masks the variable parts of an error line.
func Normalize(line string) string {
	s := strings.TrimSpace(line)
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// Fingerprint identifies a failure: the test and its first error line,
// normalised, hashed to 16 hex digits.
func Fingerprint(test, message string) string {
	sum := sha256.Sum256([]byte(test + "\n" + Normalize(textline.First(message))))
	return hex.EncodeToString(sum[:8])
}
