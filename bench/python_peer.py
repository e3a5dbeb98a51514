#!/usr/bin/python3
"""Benchmark peer: Debian's python3-prometheus-client serving N series, and a hung endpoint.

  python_peer.py serve --port P --series 10000   /metrics with N series (100 per family)
  python_peer.py hang  --port P                  every request sleeps 10 s before answering
"""
import argparse
import http.server
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["serve", "hang"])
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--series", type=int, default=10000)
args = parser.parse_args()

if args.mode == "serve":
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    registry = CollectorRegistry()
    per_family = 100
    for f in range((args.series + per_family - 1) // per_family):
        # Gauges: a counter would add a _created series per child and double the count.
        gauge = Gauge(f"codebot_bench_family_{f}", f"Benchmark family {f}.",
                      ["handler", "status"], registry=registry)
        for i in range(min(per_family, args.series - f * per_family)):
            gauge.labels(f"handler_{i % 25}", f"status_{i // 25}").set(f * 1000 + i + 0.5)
    start_http_server(args.port, addr="127.0.0.1", registry=registry)
    print("ready", flush=True)
    threading.Event().wait()
else:
    class Hang(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(10)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"late 1\n")

        def log_message(self, *unused):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Hang)
    print("ready", flush=True)
    server.serve_forever()
