#!/usr/bin/python3
"""Slowloris load against the sidecar: latency of /metrics and the probes while N clients hold
connections open sending nothing, half a request header, or a request body one byte a second.

Prints one JSON object: latency percentiles (ms) of the measured requests, how many failed, and
how often the server closed a slow connection (and how many slow connections were open at the
end). A closed slow connection is reopened at once, as an attacker would.

Usage: slow_clients.py --port P [--slow 256] [--duration 10] [--path /metrics]
                       [--sources 8] [--interval 0.05]
Slow clients are spread over --sources loopback addresses (127.0.0.2, 127.0.0.3, ...) so that a
per-address limit does not simply turn them all away; the measured requests come from 127.0.0.1.
"""
import argparse
import json
import selectors
import socket
import threading
import time


def slow_kind(i):
    return ("nothing", "half_header", "slow_body")[i % 3]


class SlowClients:
    def __init__(self, port, count, sources):
        self.port = port
        self.count = count
        self.sources = sources
        self.sel = selectors.DefaultSelector()
        self.closed = 0
        self.open_failures = 0
        self.stop = False
        self.lock = threading.Lock()
        self.socks = {}

    def open_one(self, i):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(2)
        try:
            s.bind(("127.0.0.%d" % (2 + i % self.sources), 0))
            s.connect(("127.0.0.1", self.port))
            kind = slow_kind(i)
            if kind == "half_header":
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            elif kind == "slow_body":
                s.sendall(b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
            s.setblocking(False)
        except OSError:
            s.close()
            self.open_failures += 1
            return
        self.socks[s] = i
        self.sel.register(s, selectors.EVENT_READ, i)

    def drop(self, s):
        self.sel.unregister(s)
        i = self.socks.pop(s)
        s.close()
        self.closed += 1
        return i

    def run(self):
        for i in range(self.count):
            self.open_one(i)
        next_tick = time.monotonic() + 1
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.1):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.open_one(self.drop(s))
            if time.monotonic() >= next_tick:
                next_tick += 1
                for s, i in list(self.socks.items()):
                    if slow_kind(i) == "nothing":
                        continue
                    try:
                        s.send(b"x")
                    except OSError:
                        self.open_one(self.drop(s))
            while len(self.socks) < self.count:
                self.open_one(len(self.socks) + self.closed)
        for s in list(self.socks):
            s.close()


def get(port, path, timeout):
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
        data = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data.startswith(b"HTTP/1.1 200"):
        raise OSError("status " + data[:20].decode(errors="replace"))
    return (time.monotonic() - start) * 1000


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--slow", type=int, default=256)
    p.add_argument("--sources", type=int, default=8)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--path", action="append")
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--timeout", type=float, default=5)
    args = p.parse_args()
    paths = args.path or ["/metrics", "/-/healthy", "/-/ready", "/health/live"]

    slow = SlowClients(args.port, args.slow, args.sources)
    thread = threading.Thread(target=slow.run, daemon=True)
    if args.slow > 0:
        thread.start()
        time.sleep(1.5)  # every slow connection open and past its first bytes
    latencies = {path: [] for path in paths}
    failures = 0
    end = time.monotonic() + args.duration
    n = 0
    while time.monotonic() < end:
        path = paths[n % len(paths)]
        n += 1
        try:
            latencies[path].append(get(args.port, path, args.timeout))
        except OSError:
            failures += 1
        time.sleep(args.interval)
    slow.stop = True
    if args.slow > 0:
        thread.join()
    every = [v for vs in latencies.values() for v in vs]
    out = {
        "slow_clients": args.slow,
        "requests": len(every),
        "failures": failures,
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "max_ms": max(every) if every else None,
        "metrics_p99_ms": percentile(latencies.get("/metrics", []), 0.99),
        "slow_closed_by_server": slow.closed,
        "slow_open_failures": slow.open_failures,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
