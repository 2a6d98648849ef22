#!/usr/bin/env python3
"""The chat on one node, or on several nodes sharing a Redis hub, under the chat benchmark.

Starts a fresh redis-server (no persistence) on a free port, NODES `serve chat` processes pointed
at it (or one without --hub, with --no-hub), runs `switchboard-bench chat --target` over all of
them (members spread round robin) once for 3 s to warm up and once to measure, and prints one JSON line: deliveries/s, latency p50/p99 (all,
and from a member on one node to a member on another), the lines said (Redis's own count), and
the CPU the nodes (with their forked workers) and Redis (less what it uses idle) used, per line said. Used for
docs/benchmarks.md, "The Redis hub":

    dotnet build -c Release src/Switchboard.Cli -o /tmp/sb
    dotnet build -c Release bench/Switchboard.Bench -o /tmp/sbb
    python3 bench/redis-hub.py --nodes 3 --clients 100 --senders 10 --duration 10
    python3 bench/redis-hub.py --nodes 1 --no-hub --clients 100 --senders 10 --duration 10
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")
# switchboard-bench's exit code when a --target server did not deliver what was said: these nodes
# run at --rate 100000, so that is them falling behind the load, a figure here, not a failure.
FELL_BEHIND = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """utime + stime of pid and every live descendant (a forking node's workers), in seconds."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                pass
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
        except OSError:
            pass
        todo.extend(children.get(p, []))
    return total


def redis(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True).stdout.strip()


def redis_net(port):
    """Redis's total bytes read from and written to its clients so far."""
    stats = dict(l.split(":", 1) for l in redis(port, "info", "stats").splitlines() if ":" in l)
    return int(stats["total_net_input_bytes"]), int(stats["total_net_output_bytes"])


def redis_counts(port):
    """Redis's commands run, microseconds in scripts, and bytes in and out, so far."""
    calls = script_usec = 0
    for line in redis(port, "info", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            calls += int(line.split("calls=")[1].split(",")[0])
        if line.startswith(("cmdstat_evalsha:", "cmdstat_eval:")):
            script_usec += int(line.split("usec=")[1].split(",")[0])
    bytes_in, bytes_out = redis_net(port)
    return {"calls": calls, "script_usec": script_usec, "bytes_in": bytes_in, "bytes_out": bytes_out}


def talking_window(port, said_before, duration, redis_pid):
    """Redis's counts and CPU over half the run's duration from when talk has begun (every member
    has joined) until well before anyone leaves: the per-line cost alone, without the joins."""
    deadline = time.monotonic() + 120
    while int(redis(port, "get", "switchboard:room:lobby:talk") or 0) < said_before + 10:
        if time.monotonic() > deadline:
            raise SystemExit("no talk reached redis within 120 s")
        time.sleep(0.05)
    def sample():
        return redis_counts(port), int(redis(port, "get", "switchboard:room:lobby:talk") or 0), cpu_seconds(redis_pid), time.monotonic()
    first = sample()
    time.sleep(duration * 0.5)
    last = sample()
    window = {k: last[0][k] - first[0][k] for k in first[0]}
    window.update(lines=last[1] - first[1], cpu=last[2] - first[2], seconds=last[3] - first[3])
    return window


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--nodes", type=int, default=3)
    a.add_argument("--no-hub", action="store_true", help="one node, rooms in the process (the baseline)")
    a.add_argument("--engine", default="async")
    a.add_argument("--clients", type=int, default=100)
    a.add_argument("--senders", type=int, default=10)
    a.add_argument("--duration", type=int, default=10)
    a.add_argument("--workers", default="4..128", help="forking: the worker pool (with --hub the parent is the one node for all of them)")
    a.add_argument("--settle", type=float, default=2, help="forking: seconds for the workers to start before the load")
    a.add_argument("--sb", default="/tmp/sb/switchboard.dll")
    a.add_argument("--bench", default="/tmp/sbb/switchboard-bench.dll")
    o = a.parse_args()

    rport = free_port()
    rdir = tempfile.mkdtemp()
    rproc = subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", rdir],
                             stdout=subprocess.DEVNULL)
    nodes = []
    try:
        for _ in range(50):
            try:
                if redis(rport, "ping") == "PONG":
                    break
            except subprocess.CalledProcessError:
                time.sleep(0.1)
        hub = [] if o.no_hub else ["--hub", f"redis://127.0.0.1:{rport}"]
        targets = []
        for _ in range(1 if o.no_hub else o.nodes):
            p = subprocess.Popen(["dotnet", o.sb, "serve", "chat", "--port", "0", "--engine", o.engine, "--rate", "100000", "--history", "0",
                                  "--connect-rate", "0", "--max-connections-per-ip", "0", "--max-connections", "100000", "--log-level", "Warning",
                                  *(["--workers", o.workers] if o.engine == "forking" else []), *hub],
                                 stdout=subprocess.PIPE, text=True)
            line = p.stdout.readline()
            nodes.append(p)
            targets.append(line.split()[2])
        if o.engine == "forking":
            time.sleep(o.settle)  # the spare workers start
        out = tempfile.mkdtemp()
        # A first short run warms the nodes up (JIT, connection pools), so the measured run counts only the work.
        subprocess.run(["dotnet", o.bench, "chat", "--target", ",".join(targets), "-c", str(o.clients), "--senders", str(o.senders),
                        "-d", "3s", "--out", out], stdout=subprocess.DEVNULL).returncode in (0, FELL_BEHIND) or sys.exit("the warm-up run failed")
        said_before = 0 if o.no_hub else int(redis(rport, "get", "switchboard:room:lobby:talk") or 0)
        # Redis's CPU with the nodes connected and no one talking (heartbeats, its own cron), taken off its figure per line.
        idle_start = cpu_seconds(rproc.pid)
        time.sleep(3)
        redis_idle_per_s = (cpu_seconds(rproc.pid) - idle_start) / 3
        if not o.no_hub:
            redis(rport, "config", "resetstat")
        net_before = None if o.no_hub else redis_net(rport)
        before = [cpu_seconds(p.pid) for p in nodes], cpu_seconds(rproc.pid)
        clock = time.monotonic()
        load = subprocess.Popen(["dotnet", o.bench, "chat", "--target", ",".join(targets), "-c", str(o.clients), "--senders", str(o.senders),
                                 "-d", f"{o.duration}s", "--out", out], stdout=subprocess.DEVNULL)
        steady = None if o.no_hub else talking_window(rport, said_before, o.duration, rproc.pid)
        if load.wait() not in (0, FELL_BEHIND):
            raise SystemExit(f"switchboard-bench chat failed (exit {load.returncode})")
        after = [cpu_seconds(p.pid) for p in nodes], cpu_seconds(rproc.pid)
        elapsed = time.monotonic() - clock
        result = json.load(open(os.path.join(out, "chat.json")))["Results"][0]
        lines = None if o.no_hub else int(redis(rport, "get", "switchboard:room:lobby:talk") or 0) - said_before
        # The time Redis spent running scripts (lines, heartbeats, catch-up reads, joins), by its own
        # count, and every command it ran (the scripts' own calls included).
        counts = None if o.no_hub else redis_counts(rport)
        script_usec = 0 if o.no_hub else counts["script_usec"]
        calls = 0 if o.no_hub else counts["calls"]
        net = None if o.no_hub else [after - before for before, after in zip(net_before, redis_net(rport))]
        node_cpu = sum(after[0]) - sum(before[0])
        redis_cpu = after[1] - before[1] - redis_idle_per_s * elapsed
        print(json.dumps({
            "nodes": len(nodes), "hub": not o.no_hub, "engine": o.engine, "clients": o.clients, "senders": o.senders,
            "deliveries_per_s": round(result["MessagesPerSecond"]),
            "fell_behind": bool(result.get("Throttled")),
            "p50_ms": round(result["LatencyP50Micros"] / 1000, 2), "p99_ms": round(result["LatencyP99Micros"] / 1000, 2),
            "cross_p50_ms": result.get("CrossNodeLatencyP50Micros") and round(result["CrossNodeLatencyP50Micros"] / 1000, 2),
            "cross_p99_ms": result.get("CrossNodeLatencyP99Micros") and round(result["CrossNodeLatencyP99Micros"] / 1000, 2),
            "lines_said": lines, "node_cpu_s": round(node_cpu, 2), "redis_cpu_s": round(redis_cpu, 2),
            "node_cpu_us_per_line": lines and round(node_cpu / lines * 1e6, 1),
            "redis_cpu_us_per_line": lines and round(redis_cpu / lines * 1e6, 1),
            "redis_script_us_per_line": lines and round(script_usec / lines, 1),
            "redis_calls_per_line": lines and round(calls / lines, 2),
            "redis_bytes_in_per_line": lines and round(net[0] / lines),
            "redis_bytes_out_per_line": lines and round(net[1] / lines),
            "node_cpu_ns_per_delivery": round(node_cpu / max(1, result["Messages"]) * 1e9),
            # Redis's work per line while the room only talks (no member joining or leaving): what
            # must not grow with the room's size.
            **({} if steady is None else {
                "steady_lines": steady["lines"],
                "steady_redis_calls_per_line": round(steady["calls"] / steady["lines"], 2),
                "steady_redis_bytes_in_per_line": round(steady["bytes_in"] / steady["lines"]),
                "steady_redis_bytes_out_per_line": round(steady["bytes_out"] / steady["lines"]),
                "steady_redis_script_us_per_line": round(steady["script_usec"] / steady["lines"], 1),
                "steady_redis_cpu_us_per_line": round((steady["cpu"] - redis_idle_per_s * steady["seconds"]) / steady["lines"] * 1e6, 1),
            }),
            "load": os.getloadavg()[0],
        }))
    finally:
        for p in nodes:
            p.terminate()
        for p in nodes:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        rproc.terminate()
        rproc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
