#!/usr/bin/env python3
"""How fast a switchboard process starts (docs/benchmarks.md, "Starting a worker faster").

  startup.py start N PROGRAM ARGS...   run PROGRAM ARGS N times; for each, the wall time to its
                                       'listening on' line, the CPU it used by then (all its
                                       threads), and its RSS then; prints median, min and max.
  startup.py burst PROGRAM ARGS...     start a forking server (ARGS: serve APP --engine forking
                                       --port 0 ...), let its spare workers come up, connect 20
                                       clients at once and keep them connected; prints each
                                       client's ms to its first line, then each worker's RSS and
                                       CPU.

PROGRAM is a published switchboard (framework-dependent, ReadyToRun or NativeAOT); the first
run of each variant is thrown away (disk cache).
"""
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid):
    """CPU of the whole process: utime+stime of /proc/PID/stat (counts exited threads, 10 ms ticks)
    and the sum of its live threads' schedstat (ns), the larger of the two."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks_ms = (int(fields[11]) + int(fields[12])) * 1000 / TICK
    ns = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                ns += int(f.read().split()[0])
        except OSError:
            pass
    return max(ticks_ms, ns / 1e6)


def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def start(n, cmd):
    rows = []
    for i in range(n + 1):
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in p.stdout:
            if "listening on" in line:
                break
        wall = (time.monotonic() - t0) * 1000
        cpu = cpu_ms(p.pid)
        rss = rss_mb(p.pid)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        if i > 0:
            rows.append((wall, cpu, rss))
    for name, k in (("wall ms", 0), ("cpu ms", 1), ("rss MB", 2)):
        xs = [r[k] for r in rows]
        print(f"{name:8} median {statistics.median(xs):7.1f}  min {min(xs):7.1f}  max {max(xs):7.1f}")


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def burst(cmd, clients=20):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in p.stdout:
        m = re.search(r"listening on [\d.]+:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        sys.exit("no listening line")
    time.sleep(1.5)  # the spare workers come up
    spare = children(p.pid)
    spare_rss = [rss_mb(c) for c in spare]
    results = [None] * clients
    keep = []
    lock = threading.Lock()
    t0 = time.monotonic()

    def go(i):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        data = s.recv(100)
        results[i] = ((time.monotonic() - t0) * 1000, data[:40])
        with lock:
            keep.append(s)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    done = sorted(r for r in results if r is not None)
    print("first line, ms: " + " ".join(str(int(r[0])) for r in done))
    if len(done) < clients:
        print(f"{clients - len(done)} clients got no line")
    if done:
        print(f"median {statistics.median(r[0] for r in done):.0f} ms, last {done[-1][0]:.0f} ms")
    workers = children(p.pid)
    rss = [rss_mb(c) for c in workers]
    cpu = [cpu_ms(c) for c in workers]
    print(f"spare workers before the burst: {len(spare)}, RSS MB {', '.join(f'{r:.1f}' for r in spare_rss)}")
    if workers:
        print(f"workers after: {len(workers)}, RSS MB median {statistics.median(rss):.1f} (min {min(rss):.1f}, max {max(rss):.1f}), "
              f"CPU ms median {statistics.median(cpu):.0f} (min {min(cpu):.0f}, max {max(cpu):.0f})")
    print(f"parent: RSS {rss_mb(p.pid):.1f} MB, CPU {cpu_ms(p.pid):.0f} ms")
    for s in keep:
        s.close()
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "start":
        start(int(sys.argv[2]), sys.argv[3:])
    elif len(sys.argv) > 2 and sys.argv[1] == "burst":
        burst(sys.argv[2:])
    else:
        sys.exit(__doc__)
