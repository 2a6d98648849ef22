#!/usr/bin/env python3
"""Slow chat readers and the server's memory: RSS at peak and after a mass drop.

Starts `switchboard serve chat` (the build given by --dll), connects READERS clients that choose
a nick and then never read (a 4 KiB receive buffer), one talker that says LINE-byte lines and one
observer that reads every line and measures how late each arrives (the talker stamps them). The
talker says lines until each reader would have FILL bytes queued; then all readers close at once
while the talker goes on at 100 lines/s. Prints the server's RSS before, at peak, at the drop and
10 s after it, how many readers the server dropped as too slow, and the observer's delays.

    dotnet build src/Switchboard.Cli -c Release -o /tmp/sb
    python3 bench/slow-readers-rss.py --dll /tmp/sb/switchboard.dll [-- extra serve flags]

Numbers depend on the machine; compare runs on the same one (docs/reliability.md).
"""
import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    return s


def drain(sock, on_line=None):
    buf = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            if on_line is None:
                continue
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                on_line(line)
    except OSError:
        return


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dll", required=True)
    ap.add_argument("--engine", default="async")
    ap.add_argument("--readers", type=int, default=500)
    ap.add_argument("--line", type=int, default=400)
    ap.add_argument("--fill", type=int, default=900 * 1024, help="bytes each reader should have queued")
    ap.add_argument("extra", nargs="*", help="more serve flags (after --)")
    a = ap.parse_args()

    server = subprocess.Popen(
        ["dotnet", a.dll, "serve", "chat", "--engine", a.engine, "--port", "0", "--rate", "1000000",
         "--log-level", "Information", *a.extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = server.stdout.readline()
    port = int(first.split()[2].rsplit(":", 1)[1])
    slow_drops = [0]
    collections = []

    def count_drops():
        for line in server.stderr:
            if "reads too slowly" in line:
                slow_drops[0] += 1
            elif "collected garbage" in line:
                collections.append(line.strip())
    threading.Thread(target=count_drops, daemon=True).start()

    pid = server.pid
    time.sleep(1)
    before = rss_mb(pid)

    peak = [before]
    sampling = [True]

    def sample():
        while sampling[0]:
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.05)
    threading.Thread(target=sample, daemon=True).start()

    delays, drop_delays = [], []
    phase = ["fill"]

    def on_observed(line):
        if line.startswith(b"<talker> "):
            stamp = int(line.split()[1])
            d = (time.monotonic_ns() - stamp) / 1e6
            (drop_delays if phase[0] == "drop" else delays).append(d)

    observer = connect(port)
    observer.sendall(b"/nick observer\n")
    threading.Thread(target=drain, args=(observer, on_observed), daemon=True).start()
    talker = connect(port)
    talker.sendall(b"/nick talker\n")
    threading.Thread(target=drain, args=(talker,), daemon=True).start()

    readers = []
    for i in range(a.readers):
        r = connect(port, rcvbuf=4096)
        r.sendall(f"/nick r{i}\n".encode())
        readers.append(r)
    time.sleep(2)  # the joins' notices go out

    def say():
        stamp = str(time.monotonic_ns()).encode()
        body = b"%s %s\n" % (stamp, b"x" * max(1, a.line - len(stamp) - 2))
        talker.sendall(body)
        return len(body) + len(b"<talker> ")

    queued = 0
    sent = 0
    t0 = time.monotonic()
    while queued < a.fill:
        for _ in range(20):
            queued += say()
            sent += 1
        time.sleep(0.002)
    while len(delays) < sent and time.monotonic() - t0 < 120:
        time.sleep(0.05)  # the observer has seen every line: the server has queued them all
    fill_s = time.monotonic() - t0
    time.sleep(1)
    at_peak = rss_mb(pid)

    phase[0] = "drop"
    stop = [False]

    def keep_talking():
        while not stop[0]:
            say()
            time.sleep(0.01)
    talking = threading.Thread(target=keep_talking, daemon=True)
    talking.start()
    t_drop = time.monotonic()
    for r in readers:
        r.close()
    close_s = time.monotonic() - t_drop
    at_drop = rss_mb(pid)
    time.sleep(3)
    stop[0] = True
    talking.join()
    time.sleep(7)
    after = rss_mb(pid)
    sampling[0] = False

    server.terminate()
    server.wait(timeout=30)
    print(f"engine={a.engine} readers={a.readers} line={a.line}B fill={a.fill}B per reader (took {fill_s:.1f} s) flags={' '.join(a.extra) or '(defaults)'}")
    print(f"RSS MB: before {before:.0f}, peak {peak[0]:.0f}, at end of fill {at_peak:.0f}, at drop {at_drop:.0f}, 10 s after drop {after:.0f}")
    print(f"readers dropped by the server as too slow: {slow_drops[0]}; closing all took {close_s*1000:.0f} ms")
    for line in collections:
        print(f"server: {line}")
    print(f"observer delay ms during fill: p50 {percentile(delays, .5):.1f} p99 {percentile(delays, .99):.1f} max {max(delays, default=float('nan')):.1f} (n={len(delays)})")
    print(f"observer delay ms after drop:  p50 {percentile(drop_delays, .5):.1f} p99 {percentile(drop_delays, .99):.1f} max {max(drop_delays, default=float('nan')):.1f} (n={len(drop_delays)})")


if __name__ == "__main__":
    sys.exit(main())
