#!/usr/bin/env bash
# A throwaway docker-registry on 127.0.0.1 for demos and manual testing.
#   scripts/registry.sh start DIR   start one (storage, logs, pid file in DIR); prints HOST:PORT
#   scripts/registry.sh stop DIR    stop it and remove DIR
#   scripts/registry.sh status DIR  print HOST:PORT if it is running (exit 1 otherwise)
# Plain HTTP on loopback (ocx-release allows that without flags), deletes enabled, access log in
# DIR/access.log, application log in DIR/registry.log. REGISTRY_BIN overrides the binary.
set -euo pipefail

bin=${REGISTRY_BIN:-/usr/bin/docker-registry}

usage() {
  echo "usage: $0 start|stop|status DIR" >&2
  exit 64
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$(realpath -m "$2")

# The pid file's process is alive and is still our registry (not a recycled pid).
running() {
  [ -f "$dir/registry.pid" ] || return 1
  local pid
  pid=$(cat "$dir/registry.pid")
  kill -0 "$pid" 2>/dev/null && grep -q "$dir/config.yml" "/proc/$pid/cmdline" 2>/dev/null
}

case "$cmd" in
  start)
    [ -x "$bin" ] || { echo "error: docker-registry not found at $bin" >&2; exit 69; }
    if running; then
      cat "$dir/host"
      exit 0
    fi
    mkdir -p "$dir/storage"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    secret=$(head -c 24 /dev/urandom | base64)
    # JSON is valid YAML, which is what the registry reads.
    cat >"$dir/config.yml" <<EOF
{
  "version": "0.1",
  "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": false}},
  "storage": {
    "filesystem": {"rootdirectory": "$dir/storage"},
    "delete": {"enabled": true},
    "maintenance": {"uploadpurging": {"enabled": false}}
  },
  "http": {"addr": "127.0.0.1:$port", "secret": "$secret",
           "headers": {"X-Content-Type-Options": ["nosniff"]}}
}
EOF
    # REGISTRY_* variables would override the config file: start with a clean set.
    env -u REGISTRY_HTTP_ADDR -u REGISTRY_STORAGE nohup "$bin" serve "$dir/config.yml" \
      >>"$dir/access.log" 2>>"$dir/registry.log" </dev/null &
    echo $! >"$dir/registry.pid"
    echo "127.0.0.1:$port" >"$dir/host"
    for _ in $(seq 1 100); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; then
        echo "127.0.0.1:$port"
        exit 0
      fi
      if ! running; then
        echo "error: docker-registry exited; see $dir/registry.log:" >&2
        tail -n 5 "$dir/registry.log" >&2
        exit 69
      fi
      sleep 0.1
    done
    echo "error: docker-registry did not answer on 127.0.0.1:$port within 10s" >&2
    exit 69
    ;;
  stop)
    [ -e "$dir" ] || exit 0
    # Refuse to delete a directory this script did not create.
    if [ ! -f "$dir/config.yml" ] || [ ! -d "$dir/storage" ]; then
      echo "error: $dir does not look like a registry.sh directory; not removing it" >&2
      exit 65
    fi
    if running; then
      pid=$(cat "$dir/registry.pid")
      kill "$pid"
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    fi
    rm -rf "$dir"
    ;;
  status)
    if running; then
      cat "$dir/host"
    else
      echo "not running" >&2
      exit 1
    fi
    ;;
  *)
    usage
    ;;
esac
