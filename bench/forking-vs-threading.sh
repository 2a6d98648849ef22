#!/usr/bin/env bash
# Connection set-up rate and echo round trips for the forking and threading engines, 1/10/100
# clients, in one run. Server and load generator are pinned to different cores when there are two.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release -v q src/Switchboard.Cli >/dev/null
dotnet build -c Release -v q bench/Switchboard.Bench >/dev/null
cli=src/Switchboard.Cli/bin/Release/net10.0/switchboard
gen=bench/Switchboard.Bench/bin/Release/net10.0/Switchboard.Bench
seconds=${SECONDS_PER_RUN:-5}
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
for engine in threading forking; do
  for clients in 1 10 100; do
    for scenario in connect-rate echo; do
      out=$(mktemp)
      taskset -c 0 "$cli" serve echo --port 0 --engine "$engine" --workers 4..110 --log-level Warning >"$out" 2>/dev/null &
      server=$!
      until grep -q "listening on" "$out"; do sleep 0.1; done
      endpoint=$(sed -E 's/listening on ([^ ]+) .*/\1/' "$out")
      [ "$engine" = forking ] && sleep 3 # let the pool fill before measuring
      printf '%-9s %s\n' "$engine" "$(taskset -c 1 "$gen" "$scenario" "$endpoint" "$clients" "$seconds")"
      kill -TERM "$server"; wait "$server" || true
      rm -f "$out"
    done
  done
done
