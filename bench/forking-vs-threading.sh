#!/usr/bin/env bash
# Connection set-up (churn) and echo round trips (latency) for the forking and threading engines,
# with 1, 10 and 100 clients, each scenario in one run. Results: tables here, JSON in bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release -v q bench/Switchboard.Bench >/dev/null # and the switchboard it serves with
bench=bench/Switchboard.Bench/bin/Release/net10.0/switchboard-bench
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
for clients in 1 10 100; do
  for scenario in churn latency; do
    COLUMNS=150 "$bench" "$scenario" --engines threading,forking --clients "$clients" --duration "${DURATION:-5s}" \
      --out "bench-results/forking-vs-threading/$clients"
  done
done
