package release

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/release/pypi"
	"github.com/sgl-project/tpuci/internal/release/version"
)

// noGitEpoch stands in for the commit time outside a git checkout: the
// earliest time a wheel (zip) can record.
var noGitEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// sourceDateEpoch is the time the builds are stamped with: SOURCE_DATE_EPOCH
// when set, else the release commit's time, so that a rebuild of the same
// commit gives the same bytes and a retried upload finds them on the index.
func (r *run) sourceDateEpoch(ctx context.Context) (time.Time, string) {
	// The reproducible-builds convention's variable, not tpuci's: read raw
	// (a value that is not a number is ignored, as the build tools do).
	if v := r.ws.Getenv(pypi.EnvSourceDateEpoch); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), "from the environment"
		}
	}
	out, err := gitcmd.Repo{Dir: r.ws.Repo}.Output(ctx, "log", "-1", "--format=%ct", "HEAD")
	if n, perr := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && perr == nil {
		return time.Unix(n, 0).UTC(), "the release commit's time"
	}
	return noGitEpoch, "not a git checkout: a fixed time"
}

// pypi builds, checks and smoke-installs the package, then uploads it
// and verifies the index's hashes, or says what it would upload.
func (r *run) pypi(ctx context.Context) error {
	if r.ws.Python == "" {
		return &pipeline.MissingTool{Tool: "python", Install: "export TPUCI_PYTHON=/path/to/python (or run scripts/bootstrap.sh)"}
	}
	work := filepath.Join(r.ws.Out, "release", "pypi")
	files, err := r.buildDist(ctx, work)
	if err != nil {
		return err
	}
	twine, err := r.twineCheck(ctx, files)
	if err != nil {
		return err
	}
	if err := r.smokeInstall(ctx, work, files); err != nil {
		return err
	}
	local, err := pypi.Digests(files.All())
	if err != nil {
		return err
	}
	if !r.decision.Publish {
		for _, f := range files.All() {
			r.publishRow("upload", r.s.Repository, "dry run: would upload "+filepath.Base(f)+" (sha256 "+local[filepath.Base(f)][:12]+")")
		}
		return nil
	}
	return r.publishDist(ctx, twine, files, local)
}

// buildDist builds the sdist and the wheel and checks their names.
func (r *run) buildDist(ctx context.Context, work string) (files pypi.Files, err error) {
	exp := pypi.ExpectedFiles(r.s.DistName, r.plan.Version, r.s.WheelTag)
	err = r.step("build", func() (string, error) {
		log, path, err := r.logFile("build.log")
		if err != nil {
			return "", err
		}
		defer log.Close()
		env := append(r.ws.Env(), version.PretendEnv+"="+r.plan.Version)
		epoch, from := r.sourceDateEpoch(ctx)
		fmt.Fprintf(log, "%s (%s)\n", pypi.EpochEnv(epoch), from)
		dist, err := pypi.Build(ctx, pypi.BuildOptions{Python: r.ws.Python, Source: r.s.PackageDir, Work: work,
			Isolation: r.s.Isolation, Env: env, Log: log, Epoch: epoch})
		if err != nil {
			return "", fmt.Errorf("%w (log: %s)", err, path)
		}
		files, err = pypi.CheckFiles(dist, exp, r.s.LegacySdist)
		if err != nil {
			return "", err
		}
		for _, w := range files.Warnings {
			fmt.Fprintf(r.st.Log, "    warning: %s\n", w)
		}
		return filepath.Base(files.Sdist) + ", " + filepath.Base(files.Wheel), nil
	})
	return files, err
}

// twineCheck finds twine and checks the files' metadata with it.
func (r *run) twineCheck(ctx context.Context, files pypi.Files) (twine []string, err error) {
	err = r.step("twine check", func() (string, error) {
		var err error
		if twine, err = pypi.Twine(ctx, r.ws.Python); err != nil {
			return "", err
		}
		log, path, err := r.logFile("twine-check.log")
		if err != nil {
			return "", err
		}
		defer log.Close()
		if err := pypi.TwineCheck(ctx, twine, files.All(), log); err != nil {
			return "", fmt.Errorf("%w (log: %s)", err, path)
		}
		return "passed", nil
	})
	return twine, err
}

// smokeInstall installs the wheel in a fresh venv and imports it.
func (r *run) smokeInstall(ctx context.Context, work string, files pypi.Files) error {
	return r.step("smoke install", func() (string, error) {
		log, path, err := r.logFile("smoke.log")
		if err != nil {
			return "", err
		}
		defer log.Close()
		got, err := pypi.Smoke(ctx, pypi.SmokeOptions{Python: r.ws.Python, Wheel: files.Wheel, Import: r.s.Import,
			Want: r.found.Version, Work: work, Log: log})
		if err != nil {
			return "", fmt.Errorf("%w (log: %s)", err, path)
		}
		return fmt.Sprintf("import %s in a fresh venv: __version__ %s", r.s.Import, got), nil
	})
}

// publishDist uploads what the index lacks and verifies the index's
// hashes; a version whose files are all there already is left alone.
func (r *run) publishDist(ctx context.Context, twine []string, files pypi.Files, local map[string]string) error {
	root := r.s.JSONRoot
	if root == "" {
		var err error
		if root, err = pypi.JSONRoot(r.s.Repository); err != nil {
			return err
		}
	}
	index, err := r.indexBefore(ctx, root, local)
	if err != nil {
		return err
	}
	if len(index) > 0 && len(pypi.Missing(local, index)) == 0 {
		r.alreadyOnIndex(local, index)
		return nil
	}
	if err := r.step("upload", func() (string, error) { return r.upload(ctx, twine, files) }); err != nil {
		return err
	}
	return r.step("verify", func() (string, error) {
		if err := pypi.Verify(ctx, pypi.VerifyOptions{Root: root, Dist: r.s.DistName, Ver: r.plan.Version, Local: local}); err != nil {
			return "", err
		}
		for _, f := range files.All() {
			r.publishRow("upload", r.s.Repository, filepath.Base(f)+" sha256 "+local[filepath.Base(f)][:12]+" (the index records the same)")
		}
		return "the index records our sha256 for every file", nil
	})
}

// indexBefore reads which of our files the index holds already; a file
// there with other bytes is an error (PyPI never replaces one).
func (r *run) indexBefore(ctx context.Context, root string, local map[string]string) (index map[string]string, err error) {
	err = r.step("index before upload", func() (string, error) {
		var found bool
		var err error
		if index, found, err = pypi.IndexFiles(ctx, nil, root, r.s.DistName, r.plan.Version); err != nil {
			return "", err
		}
		if c := pypi.Conflicts(local, index); len(c) > 0 {
			return "", fmt.Errorf("pypi: %s already holds different bytes for %s: PyPI never replaces a file; publish a new version (e.g. .postN)", root, strings.Join(c, ", "))
		}
		if found && len(pypi.Missing(local, index)) == 0 {
			return "every file of " + r.plan.Version + " is on the index already with the same bytes: nothing to upload", nil
		}
		if !found {
			return "version not on the index yet", nil
		}
		return fmt.Sprintf("%d of our files already there with the same bytes", len(local)-len(pypi.Missing(local, index))), nil
	})
	return index, err
}

// upload sends the files with the configured token, masked in the log.
func (r *run) upload(ctx context.Context, twine []string, files pypi.Files) (string, error) {
	token := r.ws.Settings.Credential(r.s.TokenEnv).Reveal()
	if token == "" {
		return "", fmt.Errorf("pypi: no token: set %s (a PyPI API token) in the environment", r.s.TokenEnv)
	}
	r.st.GH.Mask(token)
	log, path, err := r.logFile("upload.log")
	if err != nil {
		return "", err
	}
	defer log.Close()
	if err := pypi.Upload(ctx, pypi.UploadOptions{Twine: twine, Repository: r.s.Repository, Token: token, Files: files.All(), Log: log}); err != nil {
		return "", fmt.Errorf("%w (log: %s)", err, path)
	}
	return "uploaded to " + r.s.Repository, nil
}

// alreadyOnIndex reports a re-run of a published version: PyPI never
// replaces a file, so the published files stay as they are; rebuilt files
// whose bytes differ (an sdist's timestamps) are named.
func (r *run) alreadyOnIndex(local, index map[string]string) {
	names := make([]string, 0, len(local))
	for n := range local {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		res := "already published, sha256 " + index[n][:12] + "; nothing uploaded"
		if index[n] != local[n] {
			res += " (this rebuild's sha256 " + local[n][:12] + " differs: the build is not byte-reproducible)"
		}
		r.publishRow("upload", r.s.Repository, n+": "+res)
	}
}
