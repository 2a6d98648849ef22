#!/usr/bin/env bash
# The tests' entry point. Some tests run real programs: the Redis chat hub's tests a real
# redis-server (started by the tests themselves on a free loopback port), the IRC tests the IRC
# clients ii and WeeChat (weechat-headless, driven through its fifo plugin). This installs
# whichever is not there with apt-get (one update, one install), then runs `dotnet test` with the
# arguments given.
set -euo pipefail

missing=()
for program in redis-server ii weechat-headless; do
  if ! command -v "$program" >/dev/null 2>&1; then
    missing+=("$program") # the Debian package is named as the program
  fi
done

# WeeChat's fifo plugin: Debian ships it apart from weechat-headless, in weechat-plugins.
has_fifo_plugin() {
  local plugin
  for plugin in /usr/lib/weechat/plugins/fifo.so /usr/lib/*/weechat/plugins/fifo.so; do
    [ -e "$plugin" ] && return 0
  done
  return 1
}
packages=("${missing[@]}")
if ! has_fifo_plugin; then
  packages+=(weechat-plugins)
fi

if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "test.sh: not installed: ${packages[*]}; this is not root (no sudo): install it, then run again" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1 \
    || ! "${as_root[@]}" apt-get update \
    || ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"; then
    echo "test.sh: cannot install ${packages[*]} with apt-get: install it, then run again" >&2
    exit 1
  fi
  for program in "${missing[@]}"; do
    if ! command -v "$program" >/dev/null 2>&1; then
      echo "test.sh: $program is still not on PATH after apt-get install: install it, then run again" >&2
      exit 1
    fi
  done
  if ! has_fifo_plugin; then
    echo "test.sh: WeeChat's fifo plugin (fifo.so) is still missing after apt-get install: install it, then run again" >&2
    exit 1
  fi
fi

exec dotnet test "$@"
