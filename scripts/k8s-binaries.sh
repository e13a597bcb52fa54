#!/usr/bin/env bash
# Builds, once per machine, the control plane the multi-host journeys run
# against: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
# kwok (simulated TPU nodes), from the Go module proxy, with no other
# download (docs: /work/shared/docs/kubernetes.md). The result is cached in
# a directory keyed on the versions; a complete cache is reused as is.
#
#   scripts/k8s-binaries.sh          build what is missing, print the directory
#   scripts/k8s-binaries.sh --dir    print the directory only
#
# Layout: <dir>/bin/{etcd,kube-apiserver,kube-controller-manager,
# kube-scheduler,kwok}, <dir>/kwok-stages/*.yaml (kwok ships no built-in
# stages), <dir>/VERSIONS. The journeys read TPUCI_K8S_BIN (default: this
# directory). Environment: TPUCI_K8S_BIN overrides the directory.
# Cold on a loaded 2-core machine: 1399 s; a Go build cache that has it: 39 s.
set -euo pipefail

k8s_version=v1.34.4
staging_version=v0.34.4 # k8s.io staging modules of the same release
etcd_version=v3.6.16
kwok_version=v0.8.0

key="k8s-${k8s_version}-etcd-${etcd_version}-kwok-${kwok_version}"
dir=${TPUCI_K8S_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tpuci/k8s/$key}

if [[ ${1:-} == --dir ]]; then
  echo "$dir"
  exit 0
fi

complete() {
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    [[ -x $dir/bin/$b ]] || return 1
  done
  [[ -s $dir/VERSIONS ]]
}

if complete; then
  echo "$dir"
  exit 0
fi

mkdir -p "$(dirname "$dir")"
# One builder per machine; a second caller waits, then finds the cache.
exec 9>"$dir.lock"
flock 9
if complete; then
  echo "$dir"
  exit 0
fi

work=$(mktemp -d "$dir.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out/bin" "$work/out/kwok-stages"
flags=(-trimpath -ldflags "-s -w")
log() { echo "k8s-binaries: $* (at ${SECONDS}s)" >&2; }

# etcd: `go install` refuses its replace directives, so a scratch module
# pins the etcd modules to one release.
log "etcd $etcd_version"
mkdir -p "$work/etcd"
(
  cd "$work/etcd"
  cat >go.mod <<EOF
module scratch/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $etcd_version

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $etcd_version
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $etcd_version
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $etcd_version
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $etcd_version
)
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3/etcdmain"\n' \
    >tools.go
  go mod tidy >&2
  go build -mod=mod "${flags[@]}" -o "$work/out/bin/etcd" go.etcd.io/etcd/server/v3
)

# Kubernetes: k8s.io/kubernetes requires its staging repos at v0.0.0 and
# replaces them by ./staging paths; a scratch module maps each to the
# published release instead (the list comes from kubernetes' own go.mod).
log "kube-apiserver, kube-controller-manager, kube-scheduler $k8s_version"
mkdir -p "$work/k8s"
(
  cd "$work/k8s"
  gomod=$(go mod download -json "k8s.io/kubernetes@$k8s_version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  {
    printf 'module scratch/k8s\n\ngo 1.24\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' \
      "$k8s_version"
    grep -oE '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" |
      awk -v v="$staging_version" '{ printf "\t%s => %s %s\n", $1, $1, v }'
    printf ')\n'
  } >go.mod
  cat >tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)
EOF
  go mod tidy >&2
  go build -mod=mod "${flags[@]}" -o "$work/out/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler
)

log "kwok $kwok_version"
GOBIN="$work/out/bin" go install "${flags[@]}" "sigs.k8s.io/kwok/cmd/kwok@$kwok_version"
kwok_dir=$(go mod download -json "sigs.k8s.io/kwok@$kwok_version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
for s in node/fast node/heartbeat pod/general; do
  for f in "$kwok_dir"/kustomize/stage/"$s"/*.yaml; do
    if grep -q '^kind: Stage' "$f"; then cp "$f" "$work/out/kwok-stages/"; fi
  done
done
chmod -R u+w "$work/out/kwok-stages"

printf 'kubernetes %s\netcd %s\nkwok %s\n' "$k8s_version" "$etcd_version" "$kwok_version" \
  >"$work/out/VERSIONS"
rm -rf "$dir"
mv "$work/out" "$dir"
log "done in $dir"
echo "$dir"
