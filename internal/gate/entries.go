package gate

import (
	"fmt"
	"slices"
	"strings"
)

// Upsert adds e to es, or replaces the entry with e's key; it returns the
// entries and the entry it replaced. Both baseline files keep entries so.
func Upsert[E any, K comparable](es []E, e E, key func(E) K) (out []E, old E, had bool) {
	for i := range es {
		if key(es[i]) == key(e) {
			old = es[i]
			es[i] = e
			return es, old, true
		}
	}
	return append(es, e), old, false
}

// HasDevice reports whether any entry was measured on device: the device
// rule of every gate (none is "no baseline for this device", skipped).
func HasDevice[E any](es []E, device string, deviceOf func(E) string) bool {
	return slices.ContainsFunc(es, func(e E) bool { return deviceOf(e) == device })
}

// DevicesNote names the devices entries have baselines of, for the
// message of a device that has none: " (it has baselines of a; b)".
func DevicesNote[E any](es []E, deviceOf func(E) string) string {
	var ds []string
	for _, e := range es {
		if d := deviceOf(e); !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return ""
	}
	return fmt.Sprintf(" (it has baselines of %s)", strings.Join(ds, "; "))
}
