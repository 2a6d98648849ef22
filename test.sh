#!/usr/bin/env bash
# The tests' entry point: the Redis chat hub's tests run against a real redis-server (started by
# the tests themselves on a free loopback port), so this installs redis-server with apt-get if it
# is not on PATH, then runs `dotnet test` with the arguments given.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "test.sh: redis-server is not installed and this is not root (no sudo): install redis-server, then run again" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1 \
    || ! "${as_root[@]}" apt-get update \
    || ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    || ! command -v redis-server >/dev/null 2>&1; then
    echo "test.sh: cannot install redis-server with apt-get: install it, then run again" >&2
    exit 1
  fi
fi

exec dotnet test "$@"
