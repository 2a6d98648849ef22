#!/bin/bash
# What `serve --metrics` costs per message, on warm servers (docs/benchmarks.md, "Metrics on and
# off"). Two epoll servers of the same build run side by side, one with metrics (scraped every
# second, as Prometheus would) and one without; both are warmed up together for 120 s, then
# measured in turns, 20 s each, while the other server and the scraper are stopped (SIGSTOP), so
# that both see the same machine. Each turn reads the measured server's CPU from /proc before
# and after and divides by the messages the load counted. As root, the servers and the load run
# at nice -10, ahead of whatever else the machine runs.
#
# usage: bench/metrics-on-off.sh chat|latency [ROUNDS]     (after: dotnet build -c Release bench/Switchboard.Bench)
# prints one line per turn and leaves everything in metrics-on-off/LOAD/.
set -eu
load=$1; rounds=${2:-6}
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/Switchboard.Bench/bin/Release/net10.0
sb=$bin/switchboard.dll; bench=$bin/switchboard-bench
[ -e "$sb" ] || { echo "metrics-on-off: build first: dotnet build -c Release bench/Switchboard.Bench" >&2; exit 2; }
nice=""; [ "$(id -u)" = 0 ] && nice="nice -n -10"
work=$PWD/metrics-on-off/$load; rm -rf "$work"; mkdir -p "$work"; cd "$work"
case $load in
  chat) app="chat --rate 100000 --history 0" ;;
  latency) app=echo ;;
  *) echo "metrics-on-off: chat or latency, not $load" >&2; exit 2 ;;
esac

start() { # NAME [FLAGS]: a server pinned to core 0; waits for its listening line
  taskset -c 0 $nice dotnet "$sb" serve $app --port 0 --engine epoll --log-level Warning \
      --max-pending 67108864 --max-connections 100000 ${2:-} > "$1.out" 2>&1 &
  echo $! > "$1.pid"
  for _ in $(seq 300); do grep -q '^listening' "$1.out" && return; sleep 0.1; done
  echo "metrics-on-off: $1 server did not start: $(cat "$1.out")" >&2; exit 1
}
start off; start on "--metrics 127.0.0.1:0"
for _ in $(seq 100); do grep -q '^metrics on' on.out && break; sleep 0.1; done
off=$(cat off.pid); on=$(cat on.pid)
off_at=$(grep -o 'listening on [0-9.:]*' off.out | cut -d' ' -f3)
on_at=$(grep -o 'listening on [0-9.:]*' on.out | cut -d' ' -f3)
metrics=$(grep -o 'http://[^ ]*' on.out)
trap 'kill -CONT $off $on 2>/dev/null; kill $off $on $scraper 2>/dev/null' EXIT

# The scraper: once a second, unless paused while the other server is measured.
( while kill -0 "$on" 2>/dev/null; do [ -e scrape.pause ] || curl -s -m 2 -o /dev/null "$metrics" || true; sleep 1; done ) &
scraper=$!

taskset -c 1 $nice "$bench" $load --target "$off_at" --clients 100 --duration 120s --out warm-off > warm-off.txt 2>&1 &
w1=$!
taskset -c 1 $nice "$bench" $load --target "$on_at" --clients 100 --duration 120s --out warm-on > warm-on.txt 2>&1 &
w2=$!
wait $w1 $w2

measure() { # NAME PID ADDRESS OTHER-PID ROUND
  kill -STOP "$4"; [ "$1" = off ] && touch scrape.pause
  read -r loadavg _ < /proc/loadavg
  t0=$(awk '{print $14+$15}' "/proc/$2/stat")
  taskset -c 1 $nice "$bench" $load --target "$3" --clients 100 --duration 20s --out "$1-$5" > "$1-$5.txt" 2>&1
  t1=$(awk '{print $14+$15}' "/proc/$2/stat")
  rm -f scrape.pause; kill -CONT "$4"
  python3 - "$1" "$5" "$t0" "$t1" "$(getconf CLK_TCK)" "$loadavg" "$1-$5/$load.json" <<'PY'
import json, sys
name, rnd, t0, t1, hz, loadavg, path = sys.argv[1:]
messages = json.load(open(path))['Results'][0]['Messages']
ns = (int(t1) - int(t0)) / int(hz) / messages * 1e9
print(f'{name} round {rnd}: {messages} messages, {ns:.0f} ns per message, load average {loadavg}')
PY
}
for r in $(seq "$rounds"); do   # off first in odd rounds, on first in even ones
  if [ $((r % 2)) = 1 ]; then measure off "$off" "$off_at" "$on" "$r"; measure on "$on" "$on_at" "$off" "$r"
  else measure on "$on" "$on_at" "$off" "$r"; measure off "$off" "$off_at" "$on" "$r"; fi
done | tee results.txt
