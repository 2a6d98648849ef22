#!/usr/bin/env bash
# The tests' entry point. Some tests run real programs: the Redis chat hub's tests a real
# redis-server (started by the tests themselves on a free loopback port), the IRC tests the IRC
# client ii. This installs whichever of the two is not on PATH with apt-get (one update, one
# install), then runs `dotnet test` with the arguments given.
set -euo pipefail

missing=()
for program in redis-server ii; do
  if ! command -v "$program" >/dev/null 2>&1; then
    missing+=("$program") # the Debian package is named as the program
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "test.sh: not installed: ${missing[*]}; this is not root (no sudo): install it, then run again" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1 \
    || ! "${as_root[@]}" apt-get update \
    || ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; then
    echo "test.sh: cannot install ${missing[*]} with apt-get: install it, then run again" >&2
    exit 1
  fi
  for program in "${missing[@]}"; do
    if ! command -v "$program" >/dev/null 2>&1; then
      echo "test.sh: $program is still not on PATH after apt-get install: install it, then run again" >&2
      exit 1
    fi
  done
fi

exec dotnet test "$@"
