package debbase

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sgl-project/tpuci/internal/debian"
	"github.com/sgl-project/tpuci/internal/proc"
	"github.com/sgl-project/tpuci/internal/release/dockerimg"
	"github.com/sgl-project/tpuci/internal/textline"
)

// BuildTimeout bounds one mmdebstrap run (about 15 s on a near mirror).
const BuildTimeout = 20 * time.Minute

// ErrNoMmdebstrap is returned when a base must be built and mmdebstrap is
// not installed.
var ErrNoMmdebstrap = errors.New("debian base: mmdebstrap is not installed (apt-get install mmdebstrap)")

// How says where a base came from.
type How string

// The ways Ensure can end.
const (
	Reused   How = "reused"                      // the engine had the tag
	Imported How = "imported the cached tarball" // the engine had lost it; the tarball was kept
	Built    How = "built with mmdebstrap"
)

// Result is the image a release builds on.
type Result struct {
	Tag   string
	ID    string
	How   How
	Bytes int64         // the tarball's size; 0 when reused
	Build time.Duration // mmdebstrap's time; 0 unless built
	Load  time.Duration // the import's time; 0 when reused
}

// Ensure returns the plan's image: the engine's image by that tag when it
// has one (mmdebstrap does not run), else the cached tarball imported,
// else a tarball built with mmdebstrap, kept and imported.
func Ensure(ctx context.Context, eng dockerimg.Engine, p debian.Plan, log io.Writer) (Result, error) {
	res := Result{Tag: p.Tag, How: Reused}
	if ii, err := eng.ImageInspect(ctx, p.Tag); err == nil {
		res.ID = ii.ID
		return res, nil
	}
	// Runs that miss the tag at once make it one at a time: a second
	// import would move the tag to a new image ID, and the builds on the
	// first one would lose their layer cache.
	unlock, err := lockCache(ctx, p)
	if err != nil {
		return res, err
	}
	defer unlock()
	if ii, err := eng.ImageInspect(ctx, p.Tag); err == nil {
		res.ID = ii.ID
		return res, nil
	}
	res.How = Imported
	if _, err := os.Stat(p.Tarball); err != nil {
		res.How = Built
		start := time.Now()
		if err := build(ctx, p, log); err != nil {
			return res, err
		}
		res.Build = time.Since(start)
	}
	f, err := os.Open(p.Tarball)
	if err != nil {
		return res, fmt.Errorf("debian base: open the tarball: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		res.Bytes = fi.Size()
	}
	start := time.Now()
	if res.ID, err = dockerimg.Import(ctx, eng, f, p.Tag, p.Platform, p.Changes, log); err != nil {
		return res, fmt.Errorf("debian base: %w", err)
	}
	res.Load = time.Since(start)
	return res, nil
}

// build runs mmdebstrap into a temporary file beside the tarball and
// renames it into place, so that an interrupted run leaves no tarball a
// later run would trust.
func build(ctx context.Context, p debian.Plan, log io.Writer) error {
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return ErrNoMmdebstrap
	}
	if err := os.MkdirAll(p.CacheDir, 0o755); err != nil {
		return fmt.Errorf("debian base: cache directory: %w", err)
	}
	tmp, err := os.CreateTemp(p.CacheDir, filepath.Base(p.Tarball)+".*.partial")
	if err != nil {
		return fmt.Errorf("debian base: cache directory: %w", err)
	}
	_ = tmp.Close()
	defer os.Remove(tmp.Name())
	argv := p.Argv(tmp.Name())
	fmt.Fprintf(log, "debian base %s: %s\n", p.Tag, proc.Quote(argv))
	var stderr bytes.Buffer
	out, err := proc.Run(ctx, proc.Cmd{Argv: argv, Stdout: log, Stderr: io.MultiWriter(log, &stderr), Timeout: BuildTimeout})
	if err != nil {
		var exit *proc.ExitError
		if errors.As(err, &exit) {
			err = errors.New(out.Describe()) // the whole argv is in the log already
		}
		why := strings.TrimSpace(textline.Last(stderr.String()))
		return fmt.Errorf("debian base: mmdebstrap %s from %s: %w: %s", p.Suite, p.Mirror, err, why)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp's 0600
		return fmt.Errorf("debian base: keep the tarball: %w", err)
	}
	if err := os.Rename(tmp.Name(), p.Tarball); err != nil {
		return fmt.Errorf("debian base: keep the tarball: %w", err)
	}
	return nil
}

// lockCache takes the plan's lock file in the cache directory, waiting
// for another run that builds or imports the same base.
func lockCache(ctx context.Context, p debian.Plan) (unlock func(), err error) {
	if err := os.MkdirAll(p.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("debian base: cache directory: %w", err)
	}
	path := strings.TrimSuffix(p.Tarball, ".tar") + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("debian base: lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("debian base: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("debian base: waiting for another build of %s: %w", p.Tag, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
