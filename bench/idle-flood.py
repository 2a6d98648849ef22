#!/usr/bin/env python3
"""Idle connections until the server says no: how many it serves, how it refuses the rest.

Connects up to N clients to HOST:PORT one after another; each reads the server's first line and
is then held open without a word. Prints how many were served (any first line but an error),
refused (a first line starting `error:`) and failed (no line, or the connect failed), and the
first refusal. Used for the threading engine's thread limit (docs/reliability.md):

    dotnet build src/Switchboard.Cli -c Release -o /tmp/sb
    echo 30000 > /proc/sys/vm/max_map_count      # root; put the old value back afterwards
    dotnet /tmp/sb/switchboard.dll serve chat --engine threading --port 47001 --max-connections 20000 &
    python3 bench/idle-flood.py 127.0.0.1 47001 9000
"""
import resource
import socket
import sys
import time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, n + 100))
held, served, refused, failed = [], 0, 0, 0
first_refusal = None
for i in range(n):
    try:
        s = socket.create_connection((host, port), timeout=10)
        line = s.recv(200)
    except OSError as e:
        failed += 1
        if failed > 20:
            print("stopping:", e)
            break
        continue
    if line.startswith(b"error:"):
        refused += 1
        if first_refusal is None:
            first_refusal = (i, line.decode().strip())
        s.close()
    elif line:
        served += 1
        held.append(s)
    else:
        failed += 1
        s.close()
        if failed > 20:
            break
print(f"served {served}, refused {refused}, failed {failed}; first refusal: {first_refusal}")
sys.stdout.flush()
time.sleep(1)
for s in held:
    s.close()
