#!/usr/bin/env bash
# The tests' entry point. Some tests run real programs: the Redis chat hub's tests a real
# redis-server (started by the tests themselves on a free loopback port), the metrics tests
# Prometheus's promtool (package prometheus) on what serve --metrics serves, the systemd tests
# systemd-socket-activate and systemd-analyze (package systemd; no running systemd), the IRC tests the IRC
# clients ii and WeeChat (weechat-headless, driven through its fifo plugin), the web chat's test
# Debian's chromium, headless, driven by Playwright (which must never download a browser of its
# own: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD is set here, and nothing runs `playwright install`), the TLS tests openssl (s_client) and socat,
# the benchmark's C epoll peer's tests a C compiler, cc (packages gcc and libc6-dev: --no-install-recommends leaves out
# libc's headers), which compiles bench/peers/epoll-echo.c, time-client.c and chat-client.c, the benchmark's Twisted chat peer's tests Debian's
# Python with Twisted (python3-twisted: /usr/bin/python3 must import twisted; a pyenv python3 on PATH does not count), which runs
# bench/peers/twisted-chat.py, and the NativeAOT publish's test clang and zlib1g-dev, which link the native executable. This installs
# whichever is not there with apt-get (one update, one install), then runs `dotnet test` with the
# arguments given. redis-server, promtool, the systemd tools, chromium, openssl, socat, cc, clang and Twisted are required; without an IRC client its tests are
# skipped (said here and by the test run), so a machine where nothing can be installed still runs the rest.
set -euo pipefail

missing=()
for program in redis-server ii weechat-headless chromium openssl socat; do
  if ! command -v "$program" >/dev/null 2>&1; then
    missing+=("$program") # the Debian package is named as the program
  fi
done
if ! command -v promtool >/dev/null 2>&1; then
  missing+=(prometheus) # promtool's package
fi
if ! command -v cc >/dev/null 2>&1 || [ ! -e /usr/include/stdio.h ]; then
  missing+=(gcc libc6-dev) # cc and libc's headers: the C epoll peer (bench/peers/epoll-echo.c) and the C time and chat clients (bench/peers/time-client.c, chat-client.c) are compiled by their tests and the bench
fi
if ! command -v clang >/dev/null 2>&1 || [ ! -e /usr/include/zlib.h ]; then
  missing+=(clang zlib1g-dev) # the NativeAOT publish (PublishProfile=native) links with clang against zlib; its test publishes one
fi
if ! /usr/bin/python3 -c 'import twisted' >/dev/null 2>&1; then
  missing+=(python3-twisted) # the benchmark's chat reference peer, bench/peers/twisted-chat.py, run by Debian's python3 (its tests and the bench)
fi
if ! command -v systemd-socket-activate >/dev/null 2>&1 || ! command -v systemd-analyze >/dev/null 2>&1; then
  missing+=(systemd) # socket activation and the unit files are tested with its tools; no running systemd needed
fi

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

installed=false
if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    as_root=(false) # neither root nor sudo: nothing can be installed
  fi
  if [ "${as_root[*]}" != false ] && command -v apt-get >/dev/null 2>&1 \
    && "${as_root[@]}" apt-get update \
    && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"; then
    installed=true
  fi
  for program in redis-server promtool systemd-socket-activate systemd-analyze chromium openssl socat cc clang; do
    if ! command -v "$program" >/dev/null 2>&1; then
      echo "test.sh: $program is not installed and could not be (apt-get as root or with sudo): install it, then run again" >&2
      exit 1
    fi
  done
  if ! /usr/bin/python3 -c 'import twisted' >/dev/null 2>&1; then
    echo "test.sh: /usr/bin/python3 cannot import twisted, and python3-twisted could not be installed (apt-get as root or with sudo): install it, then run again" >&2
    exit 1
  fi
  for program in ii weechat-headless; do
    if ! command -v "$program" >/dev/null 2>&1; then
      echo "test.sh: warning: $program is not installed and could not be; its IRC client test is skipped" >&2
    fi
  done
  if command -v weechat-headless >/dev/null 2>&1 && ! has_fifo_plugin; then
    echo "test.sh: warning: WeeChat's fifo plugin (package weechat-plugins) is missing; the WeeChat test is skipped" >&2
  fi
  [ "$installed" = true ] || echo "test.sh: warning: apt-get install of ${packages[*]} did not succeed" >&2
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec dotnet test "$@"
