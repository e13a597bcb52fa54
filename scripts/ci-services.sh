#!/usr/bin/env bash
# Starts the services tpuci's release tests use, idempotently:
#   - dockerd (Debian docker.io) on unix:///var/run/docker.sock, without
#     iptables, bridge or ip_forward changes (see docs: release.md 5.2);
#   - the Debian docker-registry on 127.0.0.1:5000 (filesystem storage).
# A service that already answers is left alone, so re-running is safe.
#
#   scripts/ci-services.sh [start]   start what is not running, wait until both answer
#   scripts/ci-services.sh stop      stop the services this script started (by pid file)
#   scripts/ci-services.sh status    say what answers
#
# Environment: TPUCI_SERVICES_DIR (state, logs; default /tmp/tpuci-services),
# TPUCI_DOCKER_STORAGE_DRIVER (e.g. vfs when overlay2 is unavailable),
# TPUCI_REGISTRY_ADDR (default 127.0.0.1:5000). Needs root for dockerd.
set -euo pipefail

dir=${TPUCI_SERVICES_DIR:-/tmp/tpuci-services}
sock=/var/run/docker.sock
reg_addr=${TPUCI_REGISTRY_ADDR:-127.0.0.1:5000}

docker_up() { curl -sf --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }
registry_up() { curl -sf --max-time 2 "http://$reg_addr/v2/" >/dev/null 2>&1; }

# wait_for NAME CHECK LOG: poll CHECK for up to 60 s; on failure show the log's tail.
wait_for() {
  local name=$1 check=$2 log=$3
  for _ in $(seq 1 120); do
    if "$check"; then
      echo "ci-services: $name is up"
      return 0
    fi
    sleep 0.5
  done
  echo "ci-services: $name did not answer within 60 s; last lines of $log:" >&2
  tail -n 20 "$log" >&2 || true
  return 1
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_docker() {
  if docker_up; then
    echo "ci-services: dockerd already answers on $sock"
    return 0
  fi
  if ! command -v dockerd >/dev/null; then
    echo "ci-services: dockerd is not installed: apt-get install docker.io" >&2
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "ci-services: dockerd needs root; run this script as root" >&2
    return 1
  fi
  if alive "$dir/dockerd.pid"; then
    echo "ci-services: dockerd (pid $(cat "$dir/dockerd.pid")) is starting; waiting"
  else
    mkdir -p "$dir/docker" "$dir/exec"
    local args=(--data-root "$dir/docker" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid"
      -H "unix://$sock" --iptables=false --ip-forward=false --bridge=none)
    if [ -n "${TPUCI_DOCKER_STORAGE_DRIVER:-}" ]; then
      args+=(--storage-driver "$TPUCI_DOCKER_STORAGE_DRIVER")
    fi
    # setsid: the daemon gets its own session and outlives this script;
    # "stop" ends it by pid.
    rm -f "$dir/dockerd.pid" # stale: dockerd refuses to start over it, and writes its own
    setsid dockerd "${args[@]}" >"$dir/dockerd.log" 2>&1 </dev/null &
  fi
  wait_for dockerd docker_up "$dir/dockerd.log"
}

start_registry() {
  if registry_up; then
    echo "ci-services: a registry already answers on $reg_addr"
    return 0
  fi
  if ! command -v docker-registry >/dev/null; then
    echo "ci-services: docker-registry is not installed: apt-get install docker-registry" >&2
    return 1
  fi
  if ! alive "$dir/registry.pid"; then
    mkdir -p "$dir/registry"
    cat >"$dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/registry
  delete:
    enabled: true
http:
  addr: $reg_addr
EOF
    setsid docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 </dev/null &
    echo $! >"$dir/registry.pid"
  fi
  wait_for "registry on $reg_addr" registry_up "$dir/registry.log"
}

stop_one() {
  local name=$1 pidfile=$2
  if ! alive "$pidfile"; then
    echo "ci-services: $name is not running from $pidfile"
    rm -f "$pidfile"
    return 0
  fi
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "ci-services: $name (pid $pid) ignored SIGTERM for 30 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "ci-services: stopped $name (pid $pid)"
}

mkdir -p "$dir"
case "${1:-start}" in
start)
  start_docker
  start_registry
  ;;
stop)
  stop_one registry "$dir/registry.pid"
  stop_one dockerd "$dir/dockerd.pid"
  ;;
status)
  if docker_up; then echo "dockerd: up ($sock)"; else echo "dockerd: down"; fi
  if registry_up; then echo "registry: up ($reg_addr)"; else echo "registry: down"; fi
  ;;
*)
  echo "usage: $0 [start|stop|status]" >&2
  exit 2
  ;;
esac
