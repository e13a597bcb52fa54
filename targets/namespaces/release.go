package namespaces

//mage:multiline
import (
	"context"

	"github.com/magefile/mage/mg"

	"github.com/sgl-project/tpuci/internal/release"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/targets"
)

// Release groups publishing targets.
type Release mg.Namespace

// Version prints the release version, tag, pre-release flag and whether latest moves.
//
//	go tool mage release:version
//
// Also prints the whole plan (image tags, manifest lists, PyPI files) and
// whether this run would publish. The version comes from
// [release].version_source: "file" reads __version__ from
// [repo].version_file, "scm" takes the vX.Y.Z tag on HEAD (or
// SETUPTOOLS_SCM_PRETEND_VERSION). Local versions (+...) and epochs are
// refused. latest moves only for a final or post release that is the
// highest released: git tags and the image repository's registry tags,
// read the same way release:docker reads them. When either cannot be
// read, latest does not move and publishing is refused (fails closed).
//
// Environment:
//
//	TPUCI_RELEASE_CHANNEL=nightly  plan the nightly image instead of a release
//	TPUCI_RELEASE_DATE=YYYYMMDD    date of the nightly's dated tag (default: today, UTC)
//	TPUCI_RELEASE_IMAGE=repo       override [release].image
//
// Outputs: GitHub outputs version, tag, is_prerelease, update_latest,
// channel, publish; $TPUCI_OUT/release/release-version.json.
func (Release) Version(ctx context.Context) (err error) {
	defer report.FitError(&err)
	return targets.Run(ctx, "release:version", release.Version)
}

// Pypi builds, checks, smoke-installs and uploads the Python package.
//
//	go tool mage release:pypi
//
// Builds sdist and wheel with python -m build ([release].build_isolation =
// false adds --no-isolation for offline builds) reproducibly:
// SOURCE_DATE_EPOCH is the release commit's time (unless set) and the
// sdist is normalised, so a retry rebuilds the same bytes. Checks their normalised
// file names and metadata, runs twine check, installs the wheel alone in
// a fresh venv and imports the package, which must report the version.
// Then, only when publishing, uploads with twine --skip-existing and
// compares the index's sha256 of every file with ours, so a skipped
// upload cannot hide different bytes. A re-run of a version whose files
// are all on the index uploads nothing. Outside the official repository's
// CI this is a dry run that prints what it would upload.
//
// Environment:
//
//	PYPI_TOKEN ([release].pypi_token_env)  upload token; masked, never printed
//	TPUCI_PYPI_REPOSITORY=url              upload URL (e.g. https://test.pypi.org/legacy/)
//	TPUCI_RELEASE_DRY_RUN=1                never publish
//	TPUCI_RELEASE_PUBLISH=1                publish (official repository, main or version tag)
//	TPUCI_RELEASE_OVERRIDE=text            publish despite an unhealthy nightly (text recorded)
//	TPUCI_NIGHTLY_STATUS=path-or-url       nightly-status.json for the release gate
//	TPUCI_NIGHTLY_GIT=url                  else read it from the nightly data repository
//	                                       (token: TPUCI_NIGHTLY_GIT_TOKEN)
//
// Outputs: $TPUCI_OUT/release/pypi/dist/, release/release-pypi.json
// (plan, decision, gate, uploads), logs/release:pypi/,
// $TPUCI_OUT/release:pypi.json, junit/release:pypi.xml, summary.md.
func (Release) Pypi(ctx context.Context) (err error) {
	defer report.FitError(&err)
	return targets.Run(ctx, "release:pypi", release.PyPI)
}

// Docker builds, smoke-tests and pushes the image and its multi-arch manifest lists.
//
//	go tool mage release:docker
//
// Builds once through the Docker engine API (context honours
// .dockerignore; build args carry the version; OCI labels; linux/amd64;
// layers reused from the previous image and the last local build),
// smoke-runs [release].smoke_command in the built image, which must
// print the version, then, only when publishing, pushes that same image
// as vX.Y.Z-amd64 and writes the lists vX.Y.Z and, when it moves, latest.
// A nightly pushes vX.Y.Z-nightly-amd64 (version label
// X.Y.Z-nightly-YYYYMMDD) and writes vX.Y.Z-nightly, nightly and
// vX.Y.Z-nightly-YYYYMMDD. Existing release tags are never overwritten: a
// rerun of the same release (same version and commit labels) that stopped
// after its arch push reuses that image by digest, without rebuilding,
// and finishes the lists and latest; lists already in place are left
// alone. Any registry error while deciding latest refuses to publish.
// The build context never holds .git.
//
// Environment:
//
//	DOCKER_HOST                       engine (default unix:///var/run/docker.sock)
//	DOCKER_USERNAME, DOCKER_TOKEN     registry credentials ([release].registry_*_env), else the
//	                                  Docker config
//	TPUCI_RELEASE_CHANNEL=nightly     publish the nightly image
//	TPUCI_RELEASE_FORCE=1             replace existing release tags deliberately
//	TPUCI_RELEASE_SKIP_PULL=1         do not pull the previous image for the layer cache
//	TPUCI_RELEASE_DRY_RUN, TPUCI_RELEASE_PUBLISH, TPUCI_RELEASE_OVERRIDE,
//	TPUCI_NIGHTLY_STATUS, TPUCI_NIGHTLY_GIT   as for release:pypi
//
// Outputs: $TPUCI_OUT/release/release-docker.json (plan, decision, gate,
// digests), release/docker/context.tar, logs/release:docker/,
// $TPUCI_OUT/release:docker.json, junit/release:docker.xml, summary.md.
func (Release) Docker(ctx context.Context) (err error) {
	defer report.FitError(&err)
	return targets.Run(ctx, "release:docker", release.Docker)
}
