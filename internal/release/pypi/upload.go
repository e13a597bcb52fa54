package pypi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/release/distname"
	"github.com/sgl-project/tpuci/internal/textline"
)

// UploadOptions describe a twine upload.
type UploadOptions struct {
	Twine      []string
	Repository string // upload URL, e.g. https://upload.pypi.org/legacy/
	Username   string // default __token__
	Token      string // never printed: passed in the environment and masked in logs
	Files      []string
	Log        io.Writer
	Timeout    time.Duration // default 15m
}

// Upload runs twine upload --skip-existing. Whether a skip hid different
// bytes is for Verify to find out afterwards.
func Upload(ctx context.Context, o UploadOptions) error {
	if o.Token == "" {
		return fmt.Errorf("pypi: upload: no token")
	}
	user := o.Username
	if user == "" {
		user = "__token__"
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 15 * time.Minute
	}
	argv := append(append([]string{}, o.Twine...), "upload", "--non-interactive", "--disable-progress-bar",
		"--skip-existing", "--repository-url="+o.Repository)
	argv = append(argv, o.Files...)
	var out bytes.Buffer
	w := &maskWriter{w: io.MultiWriter(orDiscard(o.Log), &out), secret: o.Token}
	fmt.Fprintf(w, "$ %s\n", proc.Quote(argv))
	_, err := proc.Run(ctx, proc.Cmd{Argv: argv, Env: []string{"TWINE_USERNAME=" + user, "TWINE_PASSWORD=" + o.Token, "NO_COLOR=1"}, Stdout: w, Stderr: w, Timeout: timeout})
	if err != nil {
		return fmt.Errorf("pypi: upload to %s: %w: %s", o.Repository, err, textline.Tail(mask(out.String(), o.Token), 3))
	}
	return nil
}

// maskWriter replaces a secret with *** before writing. Secrets split
// across writes are not caught, so it is a second line of defence; the
// token only ever travels in the child's environment.
type maskWriter struct {
	w      io.Writer
	secret string
}

func (m *maskWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(m.w, mask(string(p), m.secret)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func mask(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "***")
}

// JSONRoot is the index's JSON API root for an upload URL:
// upload.pypi.org -> https://pypi.org/pypi, test.pypi.org -> https://test.pypi.org/pypi,
// anything else -> <scheme>://<host>/pypi.
func JSONRoot(upload string) (string, error) {
	u, err := url.Parse(upload)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("pypi: %q is not an upload URL", upload)
	}
	host := u.Host
	if host == "upload.pypi.org" {
		host = "pypi.org"
	}
	return u.Scheme + "://" + host + "/pypi", nil
}

// IndexFiles reads the files the index records for dist at version
// (<root>/<dist>/<version>/json): file name -> sha256. found is false
// when the index does not know the version.
func IndexFiles(ctx context.Context, client *http.Client, root, dist, version string) (files map[string]string, found bool, err error) {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	u := strings.TrimRight(root, "/") + "/" + url.PathEscape(distname.Normalize(dist)) + "/" + url.PathEscape(version) + "/json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("pypi: index %s: %w", u, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("pypi: index: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, false, nil
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("pypi: index: GET %s: HTTP %s", u, resp.Status)
	}
	var doc struct {
		URLs []struct {
			Filename string            `json:"filename"`
			Digests  map[string]string `json:"digests"`
		} `json:"urls"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&doc); err != nil {
		return nil, false, fmt.Errorf("pypi: index: %s is not the JSON API: %w", u, err)
	}
	files = map[string]string{}
	for _, f := range doc.URLs {
		files[f.Filename] = f.Digests["sha256"]
	}
	return files, true, nil
}

// Conflicts lists local files the index holds with different bytes.
func Conflicts(local, index map[string]string) []string {
	var out []string
	for name, sum := range local {
		if got, ok := index[name]; ok && got != sum {
			out = append(out, fmt.Sprintf("%s (index sha256 %s, ours %s)", name, textline.Abbrev(got, 12), textline.Abbrev(sum, 12)))
		}
	}
	sort.Strings(out)
	return out
}

// Missing lists local files the index does not hold.
func Missing(local, index map[string]string) []string {
	var out []string
	for name := range local {
		if _, ok := index[name]; !ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// VerifyOptions describe the post-upload check.
type VerifyOptions struct {
	Client *http.Client
	Root   string // JSON API root
	Dist   string
	Ver    string
	Local  map[string]string // file name -> sha256
	Wait   time.Duration     // how long to wait for the index to show the files (its CDN lags); default 2m
	Poll   time.Duration     // default 5s
}

// Verify waits until the index lists every local file and checks that it
// recorded the same sha256, so an upload skipped as "already exists"
// cannot hide different bytes.
func Verify(ctx context.Context, o VerifyOptions) error {
	wait, poll := o.Wait, o.Poll
	if wait == 0 {
		wait = 2 * time.Minute
	}
	if poll == 0 {
		poll = 5 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		index, _, err := IndexFiles(ctx, o.Client, o.Root, o.Dist, o.Ver)
		if err == nil {
			if c := Conflicts(o.Local, index); len(c) > 0 {
				return fmt.Errorf("pypi: verify: the index holds different bytes for %s: a skipped upload hid them; publish a new version (e.g. .postN)", strings.Join(c, ", "))
			}
			if len(Missing(o.Local, index)) == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("pypi: verify: %w", err)
			}
			return fmt.Errorf("pypi: verify: %s still lists no %s after %s", o.Root, strings.Join(Missing(o.Local, index), ", "), wait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pypi: verify: %w", context.Cause(ctx))
		case <-time.After(poll):
		}
	}
}
