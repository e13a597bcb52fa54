package debian

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// AptMirror is the first Debian archive apt's sources under root (/ on a
// real host) name, in apt's order: sources.list, then sources.list.d's
// *.list and *.sources files by name. DefaultMirror when none does.
func AptMirror(root string) string {
	dir := filepath.Join(root, "etc", "apt")
	files := []string{filepath.Join(dir, "sources.list")}
	parts, _ := filepath.Glob(filepath.Join(dir, "sources.list.d", "*"))
	sort.Strings(parts)
	files = append(files, parts...)
	for _, f := range files {
		deb822 := strings.HasSuffix(f, ".sources")
		if !deb822 && !strings.HasSuffix(f, ".list") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if m := FirstDebianURI(data, deb822); m != "" {
			return m
		}
	}
	return DefaultMirror
}

// FirstDebianURI is the first binary ("deb") source in a one-line-style
// list or, with deb822, a .sources file whose URI is a Debian archive: an
// http(s) URL whose path ends in /debian (not debian-security, not a
// snapshot). "" when there is none.
func FirstDebianURI(data []byte, deb822 bool) string {
	if deb822 {
		return firstInStanzas(data)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // [arch=amd64 signed-by=...]
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) < 2 {
				continue
			}
			f = f[1:]
		}
		if isDebianArchive(f[0]) {
			return strings.TrimSuffix(f[0], "/")
		}
	}
	return ""
}

// firstInStanzas reads deb822 stanzas (blank-line separated); a stanza
// counts when its Types include deb and it is not Enabled: no.
func firstInStanzas(data []byte) string {
	for _, stanza := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(line, "#") || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if ok {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !containsWord(fields["types"], "deb") || strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		for _, u := range strings.Fields(fields["uris"]) {
			if isDebianArchive(u) {
				return strings.TrimSuffix(u, "/")
			}
		}
	}
	return ""
}

func containsWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

func isDebianArchive(u string) bool {
	u = strings.TrimSuffix(u, "/")
	return strings.HasSuffix(u, "/debian") && MirrorProblem(u) == ""
}
