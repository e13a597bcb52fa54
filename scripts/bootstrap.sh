#!/usr/bin/env bash
# bootstrap.sh: prepare a fresh TPU VM or GitHub runner for tpuci, before Go exists.
#
# Usage: scripts/bootstrap.sh [--dry-run] [--help]
#
# Steps; each is skipped when already done, so re-running is safe:
#   1. go      install the Go release pinned by tpuci's go.mod (its `toolchain` line, else its
#              `go` line) unless a go at least that new is on PATH or in $TPUCI_GO_ROOT/go.
#   2. venv    create the checkout's virtualenv and `pip install -e "python[<extras>]"` when the
#              checkout has python/pyproject.toml; a stamp in the venv skips unchanged re-installs.
#              With TPUCI_PYTHON_DEBIAN=<suite> the venv runs on that Debian release's Python
#              instead of the host's: mmdebstrap makes its root filesystem from Debian's packages
#              (once; kept while suite, mirror and packages are unchanged) and $TPUCI_VENV/bin/python
#              runs the venv in it through bubblewrap, with the host's own directories (/root,
#              /home, /tmp, /work, ...) at their usual paths. trixie gives Python 3.13, which
#              SGLang-JAX requires (>=3.12) where the host has only 3.11.
#   3. caches  create the XLA compilation cache, the model cache and the output directory.
# --dry-run prints what would be done and changes nothing.
#
# Environment (default in brackets):
#   TPUCI_SRC              tpuci source tree holding go.mod [the directory above this script]
#   TPUCI_REPO             checkout to prepare (SGLang-JAX) [current directory]
#   TPUCI_GO_VERSION       Go version to require, e.g. 1.26.8 [from go.mod]
#   TPUCI_GO_ROOT          Go is unpacked to $TPUCI_GO_ROOT/go [/usr/local]
#   TPUCI_GO_URL           download base URL [https://go.dev/dl]
#   TPUCI_PYTHON_BIN       interpreter that creates the venv [first working of python3.12, python3]
#   TPUCI_VENV             virtualenv directory [$TPUCI_REPO/.venv]
#   TPUCI_PYTHON_DEBIAN    Debian suite whose python3 runs the venv, e.g. trixie [] (the host's)
#   TPUCI_DEBIAN_MIRROR    Debian mirror for TPUCI_PYTHON_DEBIAN [the first Debian URI of apt's
#                          sources, else http://deb.debian.org/debian]
#   TPUCI_VENV_SYSTEM_SITE 1 creates the venv with --system-site-packages (reuse preinstalled jax,
#                          or build offline with TPUCI_PIP_ARGS=--no-build-isolation) [0]
#   TPUCI_PY_EXTRAS        extras of the editable install, comma-separated [all]; "cpu" on CPU
#                          runners, "none" for no extras
#   TPUCI_PIP_ARGS         extra arguments for pip install, e.g. --no-build-isolation []
#   TPUCI_EXTRA_PACKAGES   extra packages installed into the venv, space-separated []
#   TPUCI_XLA_CACHE_DIR    XLA compilation cache [/xla-cache]
#   TPUCI_MODEL_CACHE_DIR  model cache [/models/model_scope]
#   TPUCI_OUT              tpuci output directory [$TPUCI_REPO/tpuci-out]
#   TPUCI_CACHE_MODE       mode of cache directories this script creates [1777]
#   TPUCI_SKIP_GO, TPUCI_SKIP_VENV, TPUCI_SKIP_CACHES   set to 1 to skip that step
#
# Directories that exist and are writable are left as they are. Creating one that needs root
# uses passwordless sudo when available. On GitHub runners the Go bin directory is appended to
# $GITHUB_PATH.
set -euo pipefail

DRY_RUN=0
CLEANUP_DIR=""
trap '[[ -z $CLEANUP_DIR ]] || rm -rf "$CLEANUP_DIR"' EXIT
for arg in "$@"; do
	case "$arg" in
	--dry-run) DRY_RUN=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bootstrap: unknown argument $arg (use --dry-run or --help)" >&2
		exit 2
		;;
	esac
done

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TPUCI_SRC=${TPUCI_SRC:-$(dirname "$SCRIPT_DIR")}
TPUCI_REPO=${TPUCI_REPO:-$PWD}
TPUCI_GO_ROOT=${TPUCI_GO_ROOT:-/usr/local}
TPUCI_GO_URL=${TPUCI_GO_URL:-https://go.dev/dl}
TPUCI_VENV=${TPUCI_VENV:-$TPUCI_REPO/.venv}
TPUCI_PY_EXTRAS=${TPUCI_PY_EXTRAS:-all}
TPUCI_PIP_ARGS=${TPUCI_PIP_ARGS:-}
TPUCI_EXTRA_PACKAGES=${TPUCI_EXTRA_PACKAGES:-}
TPUCI_XLA_CACHE_DIR=${TPUCI_XLA_CACHE_DIR:-/xla-cache}
TPUCI_MODEL_CACHE_DIR=${TPUCI_MODEL_CACHE_DIR:-/models/model_scope}
TPUCI_OUT=${TPUCI_OUT:-$TPUCI_REPO/tpuci-out}
TPUCI_CACHE_MODE=${TPUCI_CACHE_MODE:-1777}
TPUCI_PYTHON_DEBIAN=${TPUCI_PYTHON_DEBIAN:-}
TPUCI_DEBIAN_MIRROR=${TPUCI_DEBIAN_MIRROR:-}

log() { echo "bootstrap: $*"; }
die() {
	echo "bootstrap: error: $*" >&2
	exit 1
}

# run prints a command and runs it, or only prints it under --dry-run.
run() {
	if ((DRY_RUN)); then
		echo "bootstrap: would run: $*"
	else
		echo "bootstrap: + $*"
		"$@"
	fi
}

# as_root runs a command directly when we are root, else through passwordless sudo.
as_root() {
	if [[ $(id -u) == 0 ]]; then
		run "$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		run sudo -n "$@"
	elif ((DRY_RUN)); then
		echo "bootstrap: would run as root (no passwordless sudo available): $*"
	else
		die "need root for: $* (run once as root, or point the TPUCI_* variable at a writable place)"
	fi
}

# nearest_existing prints the closest existing ancestor of a path (the path itself if it exists).
nearest_existing() {
	local p=$1
	while [[ ! -e $p ]]; do p=$(dirname "$p"); done
	echo "$p"
}

# version_ge A B: true when version A >= version B (dotted numbers).
version_ge() {
	[[ $(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1) == "$2" ]]
}

# ---------------------------------------------------------------------------------------------
# 1. Go
# ---------------------------------------------------------------------------------------------
required_go() {
	if [[ -n ${TPUCI_GO_VERSION:-} ]]; then
		echo "${TPUCI_GO_VERSION#go}"
		return
	fi
	local mod=$TPUCI_SRC/go.mod v
	[[ -f $mod ]] || die "no go.mod in $TPUCI_SRC; set TPUCI_SRC to the tpuci source tree or TPUCI_GO_VERSION"
	v=$(awk '$1 == "toolchain" { sub(/^go/, "", $2); print $2; exit }' "$mod")
	[[ -n $v ]] || v=$(awk '$1 == "go" { print $2; exit }' "$mod")
	[[ -n $v ]] || die "$mod has neither a toolchain nor a go line; set TPUCI_GO_VERSION"
	echo "$v"
}

# go_version prints the version of a go binary (e.g. 1.26.8), or nothing.
go_version() {
	local v
	v=$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 0
	v=${v#go}
	echo "${v%%[ -]*}"
}

step_go() {
	local need have bin download_version arch tarball url tmp
	need=$(required_go)
	[[ $need =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || die "Go version '$need' is not of the form 1.N or 1.N.P"
	for bin in "$(command -v go 2>/dev/null || true)" "$TPUCI_GO_ROOT/go/bin/go"; do
		[[ -n $bin && -x $bin ]] || continue
		have=$(go_version "$bin")
		if [[ -n $have ]] && version_ge "$have" "$need"; then
			log "go: $bin is go$have (need >= $need); nothing to install"
			add_go_path "$(dirname "$bin")"
			return
		fi
		[[ -n $have ]] && log "go: $bin is go$have, older than the required $need"
	done

	download_version=$need
	[[ $need =~ ^[0-9]+\.[0-9]+$ ]] && download_version=$need.0
	case $(uname -m) in
	x86_64 | amd64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) die "go: no Go download for machine $(uname -m)" ;;
	esac
	tarball=go$download_version.linux-$arch.tar.gz
	url=$TPUCI_GO_URL/$tarball
	if ((DRY_RUN)); then
		log "go: would download $url, check its sha256 and unpack it to $TPUCI_GO_ROOT/go"
		add_go_path "$TPUCI_GO_ROOT/go/bin"
		return
	fi
	command -v curl >/dev/null 2>&1 || die "go: curl is needed to download $url"
	tmp=$(mktemp -d)
	CLEANUP_DIR=$tmp
	log "go: downloading $url"
	curl -fsSL --retry 3 -o "$tmp/$tarball" "$url" ||
		die "go: download of $url failed; install go$need by hand or set TPUCI_GO_URL to a mirror"
	if curl -fsSL --retry 3 -o "$tmp/$tarball.sha256" "$url.sha256" 2>/dev/null; then
		echo "$(tr -d ' \n' <"$tmp/$tarball.sha256")  $tmp/$tarball" | sha256sum -c --quiet - ||
			die "go: checksum of $tarball does not match $url.sha256"
	else
		log "go: warning: no $url.sha256 to check the download against"
	fi
	mkdir -p "$tmp/unpack"
	tar -C "$tmp/unpack" -xzf "$tmp/$tarball"
	[[ -x $tmp/unpack/go/bin/go ]] || die "go: $tarball holds no go/bin/go"
	if [[ -w $(nearest_existing "$TPUCI_GO_ROOT") ]]; then
		run mkdir -p "$TPUCI_GO_ROOT"
		run rm -rf "$TPUCI_GO_ROOT/go"
		run mv "$tmp/unpack/go" "$TPUCI_GO_ROOT/go"
	else
		as_root mkdir -p "$TPUCI_GO_ROOT"
		as_root rm -rf "$TPUCI_GO_ROOT/go"
		as_root mv "$tmp/unpack/go" "$TPUCI_GO_ROOT/go"
	fi
	log "go: installed go$(go_version "$TPUCI_GO_ROOT/go/bin/go") in $TPUCI_GO_ROOT/go"
	add_go_path "$TPUCI_GO_ROOT/go/bin"
}

add_go_path() {
	local dir=$1
	if [[ -n ${GITHUB_PATH:-} ]]; then
		if grep -qxF "$dir" "$GITHUB_PATH" 2>/dev/null; then
			return
		fi
		if ((DRY_RUN)); then
			log "go: would append $dir to \$GITHUB_PATH"
		else
			echo "$dir" >>"$GITHUB_PATH"
			log "go: appended $dir to \$GITHUB_PATH"
		fi
	elif [[ ":$PATH:" != *":$dir:"* ]]; then
		log "go: add $dir to PATH (export PATH=$dir:\$PATH)"
	fi
}

# ---------------------------------------------------------------------------------------------
# 2. Python venv
# ---------------------------------------------------------------------------------------------
pick_python() {
	local c
	if [[ -n ${TPUCI_PYTHON_BIN:-} ]]; then
		"$TPUCI_PYTHON_BIN" -c 'import venv' >/dev/null 2>&1 ||
			die "venv: TPUCI_PYTHON_BIN=$TPUCI_PYTHON_BIN cannot run or lacks the venv module"
		echo "$TPUCI_PYTHON_BIN"
		return
	fi
	for c in python3.12 python3; do
		if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then
			echo "$c"
			return
		fi
	done
	die "venv: no python3.12 or python3 with the venv module; install python3-venv or set TPUCI_PYTHON_BIN"
}

# apt_mirror prints the first Debian archive URI of apt's sources (not the security archive).
apt_mirror() {
	local f uri
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		uri=$(awk '($1 == "deb" || $1 == "URIs:") {
			for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\// && $i ~ /\/debian\/?$/) { print $i; exit }
		}' "$f")
		if [[ -n $uri ]]; then
			echo "${uri%/}"
			return
		fi
	done
	echo http://deb.debian.org/debian
}

# debian_root makes $TPUCI_VENV/root, a Debian $TPUCI_PYTHON_DEBIAN root filesystem holding a
# venv at /venv, and $TPUCI_VENV/bin/python, which runs that venv through bubblewrap.
debian_root() {
	local suite=$TPUCI_PYTHON_DEBIAN mirror root stamp want packages
	packages=python3,python3-venv,python3-pip,ca-certificates
	[[ $suite =~ ^[a-z][a-z0-9-]*$ ]] || die "venv: TPUCI_PYTHON_DEBIAN=$suite is not a Debian suite name like trixie"
	mirror=${TPUCI_DEBIAN_MIRROR:-$(apt_mirror)}
	[[ $mirror =~ ^(https?|file)://[A-Za-z0-9._~:/%+@-]+$ ]] ||
		die "venv: TPUCI_DEBIAN_MIRROR=$mirror is not an http(s) or file URL"
	root=$TPUCI_VENV/root
	stamp=$TPUCI_VENV/.tpuci-debian
	want="$suite $mirror $packages"
	if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $root/venv/bin/python ]]; then
		log "venv: Debian $suite root filesystem in $root is up to date"
	else
		command -v mmdebstrap >/dev/null 2>&1 ||
			die "venv: TPUCI_PYTHON_DEBIAN needs mmdebstrap (apt-get install mmdebstrap)"
		command -v bwrap >/dev/null 2>&1 ||
			die "venv: TPUCI_PYTHON_DEBIAN needs bubblewrap (apt-get install bubblewrap)"
		run rm -rf "$root" "$root.new" "$TPUCI_VENV/.tpuci-bootstrap"
		run mkdir -p "$TPUCI_VENV/bin"
		run mmdebstrap --quiet --variant=apt --include="$packages" -- "$suite" "$root.new" "$mirror"
		run mv "$root.new" "$root"
		write_launcher "$root"
		if [[ ${TPUCI_VENV_SYSTEM_SITE:-0} == 1 ]]; then
			run "$TPUCI_VENV/bin/python-root" -m venv --system-site-packages /venv
		else
			run "$TPUCI_VENV/bin/python-root" -m venv /venv
		fi
		if ((DRY_RUN)); then
			log "venv: would write the root filesystem stamp $stamp"
		else
			echo "$want" >"$stamp"
		fi
	fi
	[[ -x $TPUCI_VENV/bin/python ]] || write_launcher "$root"
}

# write_launcher writes bin/python (the venv's interpreter) and bin/python-root (the root
# filesystem's own python3) as scripts that run them inside the root filesystem. The host's
# directories are bound at their own paths, except those of the system, so a checkout, the
# output directory and the caches have the same path inside and out; the host's name service,
# trust store and pip configuration are kept, so pip reaches the indexes the host reaches.
write_launcher() {
	local root=$1 name target
	for name in python python-root; do
		target=/venv/bin/python
		[[ $name == python-root ]] && target=/usr/bin/python3
		if ((DRY_RUN)); then
			log "venv: would write $TPUCI_VENV/bin/$name (runs $target in $root)"
			continue
		fi
		cat >"$TPUCI_VENV/bin/$name" <<EOF
#!/usr/bin/env bash
# Runs $target of Debian $TPUCI_PYTHON_DEBIAN (root filesystem $root) through
# bubblewrap; written by tpuci's scripts/bootstrap.sh.
binds=()
for d in /*; do
	[[ -d \$d && ! -L \$d ]] || continue
	case \$d in
	/bin | /boot | /dev | /etc | /lib | /lib32 | /lib64 | /libx32 | /proc | /run | /sbin | /sys | /usr | /var) ;;
	*) binds+=(--bind "\$d" "\$d") ;;
	esac
done
exec bwrap --bind $(printf '%q' "$root") / --dev-bind /dev /dev --proc /proc --ro-bind /sys /sys \\
	--ro-bind-try /etc/resolv.conf /etc/resolv.conf --ro-bind-try /etc/hosts /etc/hosts \\
	--ro-bind-try /etc/ssl/certs /etc/ssl/certs --ro-bind-try /etc/pip.conf /etc/pip.conf \\
	"\${binds[@]}" --chdir "\$PWD" --die-with-parent \\
	--setenv VIRTUAL_ENV /venv --setenv PATH "/venv/bin:\$PATH" $target "\$@"
EOF
		chmod +x "$TPUCI_VENV/bin/$name"
	done
	[[ -e $TPUCI_VENV/bin/python3 ]] || ((DRY_RUN)) || ln -s python "$TPUCI_VENV/bin/python3"
}

step_venv() {
	local project=$TPUCI_REPO/python target stamp want py
	if [[ ! -f $project/pyproject.toml ]]; then
		log "venv: $project/pyproject.toml not found; not a Python checkout, skipping"
		return
	fi
	target=$project
	[[ $TPUCI_PY_EXTRAS != none ]] && target="${project}[$TPUCI_PY_EXTRAS]"
	stamp=$TPUCI_VENV/.tpuci-bootstrap
	want=$({
		cat "$project/pyproject.toml"
		echo "$project|$TPUCI_PY_EXTRAS|$TPUCI_PIP_ARGS|$TPUCI_EXTRA_PACKAGES|${TPUCI_VENV_SYSTEM_SITE:-0}"
	} | sha256sum | cut -d' ' -f1)

	if [[ -n $TPUCI_PYTHON_DEBIAN ]]; then
		debian_root
	elif [[ -x $TPUCI_VENV/bin/python ]] && "$TPUCI_VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
		log "venv: $TPUCI_VENV exists"
	else
		py=$(pick_python)
		if [[ ${TPUCI_VENV_SYSTEM_SITE:-0} == 1 ]]; then
			run "$py" -m venv --system-site-packages "$TPUCI_VENV"
		else
			run "$py" -m venv "$TPUCI_VENV"
		fi
	fi
	if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
		log "venv: $target already installed (pyproject.toml and extras unchanged)"
		return
	fi
	# shellcheck disable=SC2086 # TPUCI_PIP_ARGS and TPUCI_EXTRA_PACKAGES are word lists
	run "$TPUCI_VENV/bin/python" -m pip install $TPUCI_PIP_ARGS -e "$target"
	if [[ -n $TPUCI_EXTRA_PACKAGES ]]; then
		# shellcheck disable=SC2086
		run "$TPUCI_VENV/bin/python" -m pip install $TPUCI_PIP_ARGS $TPUCI_EXTRA_PACKAGES
	fi
	if ((DRY_RUN)); then
		log "venv: would write the install stamp $stamp"
	else
		echo "$want" >"$stamp"
	fi
}

# ---------------------------------------------------------------------------------------------
# 3. Cache and output directories
# ---------------------------------------------------------------------------------------------
ensure_dir() { # ensure_dir DIR MODE OWNED_BY_USER(0|1)
	local dir=$1 mode=$2 own=$3 parent
	if [[ -d $dir ]]; then
		if [[ -w $dir ]]; then
			log "dirs: $dir exists and is writable"
			return
		fi
		log "dirs: $dir exists but is not writable by $(id -un)"
		if ((own)); then
			as_root chown "$(id -u):$(id -g)" "$dir"
		else
			as_root chmod "$mode" "$dir"
		fi
		return
	fi
	[[ -e $dir ]] && die "dirs: $dir exists and is not a directory"
	parent=$(nearest_existing "$dir")
	if [[ -w $parent ]]; then
		run mkdir -p "$dir"
		((own)) || run chmod "$mode" "$dir"
	else
		as_root mkdir -p "$dir"
		if ((own)); then
			as_root chown "$(id -u):$(id -g)" "$dir"
		else
			as_root chmod "$mode" "$dir"
		fi
	fi
}

step_caches() {
	[[ $TPUCI_CACHE_MODE =~ ^[0-7]{3,4}$ ]] || die "TPUCI_CACHE_MODE=$TPUCI_CACHE_MODE is not an octal mode like 1777"
	ensure_dir "$TPUCI_XLA_CACHE_DIR" "$TPUCI_CACHE_MODE" 0
	ensure_dir "$TPUCI_MODEL_CACHE_DIR" "$TPUCI_CACHE_MODE" 0
	ensure_dir "$TPUCI_OUT" 0755 1
}

main() {
	((DRY_RUN)) && log "dry run: nothing will be changed"
	log "tpuci source $TPUCI_SRC, checkout $TPUCI_REPO"
	if [[ ${TPUCI_SKIP_GO:-0} == 1 ]]; then log "go: skipped (TPUCI_SKIP_GO=1)"; else step_go; fi
	if [[ ${TPUCI_SKIP_VENV:-0} == 1 ]]; then log "venv: skipped (TPUCI_SKIP_VENV=1)"; else step_venv; fi
	if [[ ${TPUCI_SKIP_CACHES:-0} == 1 ]]; then log "dirs: skipped (TPUCI_SKIP_CACHES=1)"; else step_caches; fi
	log "done"
}

main
