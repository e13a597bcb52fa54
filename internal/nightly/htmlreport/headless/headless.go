// Package headless loads an HTML file in headless Chromium and returns
// the rendered DOM and the page's console errors; tests use it to check
// that reports render.
package headless

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/textline"
)

// ErrNoChromium means no Chromium binary was found.
var ErrNoChromium = errors.New("chromium is not installed (apt-get install -y chromium)")

// Binary finds Chromium: $TPUCI_CHROMIUM, else chromium or
// chromium-browser on PATH.
func Binary() (string, error) {
	if p := os.Getenv("TPUCI_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Result is what Chromium rendered.
type Result struct {
	DOM    string   // the serialised DOM after load
	Errors []string // console messages and uncaught exceptions (reports have no scripts: any is a fault)
	Log    string   // Chromium's stderr
}

// consoleLine matches Chromium's console messages on stderr, e.g.
// [...:INFO:CONSOLE:1] "Uncaught ReferenceError: x is not defined", source: file:///... (1)
// Chromium logs console.error, console.log and uncaught exceptions alike.
var consoleLine = regexp.MustCompile(`(?m)^.*(?:CONSOLE[:(]\d+|Uncaught).*$`)

// Load renders the file and returns its DOM. Each call uses a fresh
// profile directory; the browser's process group is killed on timeout.
func Load(ctx context.Context, file string) (*Result, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("headless: %w", err)
	}
	profile, err := os.MkdirTemp("", "tpuci-chromium-")
	if err != nil {
		return nil, fmt.Errorf("headless: %w", err)
	}
	defer os.RemoveAll(profile)
	var stdout, stderr bytes.Buffer
	_, err = proc.Run(ctx, proc.Cmd{
		Argv: []string{bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
			"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + abs},
		Env:     []string{"HOME=" + profile},
		Timeout: 90 * time.Second,
		Stdout:  &stdout,
		Stderr:  &stderr,
	})
	res := &Result{DOM: stdout.String(), Log: stderr.String()}
	if err != nil {
		return res, fmt.Errorf("headless: chromium: %w: %s", err, textline.Tail(stderr.String(), 5))
	}
	for _, l := range consoleLine.FindAllString(stderr.String(), -1) {
		res.Errors = append(res.Errors, strings.TrimSpace(l))
	}
	return res, nil
}
