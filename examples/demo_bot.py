#!/usr/bin/python3
"""A stand-in for CodeBot's metrics endpoint: simulated traffic in the bot's metric model.

Not part of the sidecar. It exists so that every shipped alert (rules/alerts.yml) and every
dashboard panel can be seen working, by hand (scripts/run.sh starts it) or from a test. Needs
only Python 3 and Debian's python3-prometheus-client.

Metrics (the model of the CodeBot ChatOps guide):

  codebot_requests_total{operation,status}        counter
  codebot_request_duration_seconds{operation}     histogram, buckets .1 .25 .5 1 2.5 5 10
  codebot_active_requests{operation}              gauge, requests in flight
  codebot_errors_total{operation,error_code}      counter, failed requests by cause
  codebot_sync_queue_depth                        gauge, repositories waiting for a GitHub sync

operation is one of search, github_sync, file_save, db_query, api_call; status one of success,
error, timeout, rate_limited. Every (operation, status) series and every known error code exists
from the start with 0, so that ratios and dashboards have data before the first failure.

Traffic is simulated request by request: arrivals per operation follow a load curve that rises
and falls over a 10-minute cycle with short random bursts; each request gets a duration drawn
from its operation's distribution, counts as active until it finishes, and is counted when it
finishes. Healthy, the bot stays inside its SLOs: about 0.05% of requests fail, well under 5% are
slower than 500ms, and the sync queue holds a few dozen repositories at most.

Misbehaving. Modes (combine them with commas, e.g. "errors,slow"):

  errors  on the affected operations 95% of requests fail at once (status error): the failed
          share is far above 10% as soon as the new counts are collected, so rate()-based ratios
          cross every error threshold within one or two collections.
  slow    on the affected operations every request takes 5.5 to 9.5 s (failed ones too): p95
          lands between the 5 s and 10 s buckets (above 5 s) as soon as the first slow requests
          finish, about 6 s after the switch.
  queue   the sync queue grows by about 60 repositories a second (past 1000 within 20 s) up to
          20000, and drains at about 100 a second once the mode is off.
  none    healthy again.

Set them at start with --misbehave MODES [--operations OPS], or at run time with an HTTP request
on the same port, which takes effect on the next simulation tick (a quarter of a second):

  curl -X POST 'http://127.0.0.1:8000/misbehave?mode=errors,slow&operations=search,db_query'
  curl -X POST 'http://127.0.0.1:8000/misbehave?mode=none'
  curl http://127.0.0.1:8000/misbehave            # the current state, as JSON

`operations` defaults to all five. POST answers 200 with the new state as JSON, or 400 with the
reason for an unknown mode or operation. GET /metrics serves the metrics (text format 0.0.4).
"""
import argparse
import heapq
import json
import math
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The text format would carry every counter and histogram twice, the second time as a
# *_created gauge family that is not part of the model; read by the client at import time.
os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "true")

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)

OPERATIONS = ("search", "github_sync", "file_save", "db_query", "api_call")
STATUSES = ("success", "error", "timeout", "rate_limited")
MODES = ("errors", "slow", "queue")
BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TICK_SECONDS = 0.25


class Operation:
    """How one kind of request behaves when the bot is healthy."""

    def __init__(self, rate, median, sigma, timeout, error_codes, p_error, p_timeout,
                 p_rate_limited):
        self.rate = rate            # requests per second at load 1
        self.median = median        # seconds; durations are log-normal around it
        self.sigma = sigma
        self.timeout = timeout      # a timed-out request lasts this long; nothing lasts longer
        self.error_codes = error_codes
        self.p_error = p_error
        self.p_timeout = p_timeout
        self.p_rate_limited = p_rate_limited


# github_sync is the slow one (most syncs take longer than 500ms) but rare, so that the bot as a
# whole keeps 95% of its requests under 500ms. Its p95 read from the buckets stays near 1.5s: the
# interpolation inside the 1s-2.5s bucket overestimates a real p95 of about 1.1s.
PROFILES = {
    "search": Operation(6.0, 0.12, 0.5, 10.0, ("index_unavailable", "query_invalid"),
                        0.0003, 0.0001, 0.002),
    "github_sync": Operation(0.3, 0.6, 0.35, 30.0, ("github_5xx", "github_forbidden", "git_clone"),
                             0.0004, 0.0002, 0.01),
    "file_save": Operation(2.0, 0.2, 0.5, 10.0, ("storage_full", "write_conflict"),
                           0.0003, 0.0001, 0.0),
    "db_query": Operation(5.0, 0.03, 0.6, 10.0, ("db_connection", "db_deadlock", "db_timeout"),
                          0.0003, 0.0001, 0.0),
    "api_call": Operation(3.0, 0.15, 0.5, 10.0, ("upstream_5xx", "telegram_api"),
                          0.0003, 0.0001, 0.003),
}


class Misbehaviour:
    """The current fault modes and the operations they hit; read by the simulation every tick."""

    def __init__(self):
        self._lock = threading.Lock()
        self._modes = frozenset()
        self._operations = frozenset(OPERATIONS)

    @staticmethod
    def parse(modes_text, operations_text):
        """Returns (modes, operations) or raises ValueError with a message for the caller."""
        modes = {m.strip() for m in (modes_text or "").split(",") if m.strip()}
        unknown = modes - set(MODES) - {"none"}
        if unknown:
            raise ValueError(f"unknown mode {sorted(unknown)[0]!r}; modes: "
                             f"{', '.join(MODES)}, none")
        if "none" in modes and len(modes) > 1:
            raise ValueError("mode none cannot be combined with other modes")
        modes.discard("none")
        operations = {o.strip() for o in (operations_text or "").split(",") if o.strip()}
        unknown = operations - set(OPERATIONS)
        if unknown:
            raise ValueError(f"unknown operation {sorted(unknown)[0]!r}; operations: "
                             f"{', '.join(OPERATIONS)}")
        return frozenset(modes), frozenset(operations or OPERATIONS)

    def set(self, modes, operations):
        with self._lock:
            self._modes, self._operations = modes, operations

    def get(self):
        with self._lock:
            return self._modes, self._operations

    def as_json(self):
        modes, operations = self.get()
        return json.dumps({"modes": sorted(modes) or ["none"],
                           "operations": [o for o in OPERATIONS if o in operations]})


class Metrics:
    def __init__(self, registry):
        self.requests = Counter("codebot_requests", "Requests handled by the bot, by outcome.",
                                ["operation", "status"], registry=registry)
        self.duration = Histogram("codebot_request_duration_seconds",
                                  "Time from a request's start to its answer.", ["operation"],
                                  buckets=BUCKETS, registry=registry)
        self.active = Gauge("codebot_active_requests", "Requests being handled right now.",
                            ["operation"], registry=registry)
        self.errors = Counter("codebot_errors", "Failed requests (error or timeout), by cause.",
                              ["operation", "error_code"], registry=registry)
        self.queue = Gauge("codebot_sync_queue_depth", "Repositories waiting for a GitHub sync.",
                           registry=registry)
        # Children exist before their first increment, so that ratios are 0 rather than absent.
        for operation, profile in PROFILES.items():
            for status in STATUSES:
                self.requests.labels(operation, status)
            for code in profile.error_codes + ("timeout", "internal"):
                self.errors.labels(operation, code)
            self.duration.labels(operation)
            self.active.labels(operation).set(0)


def poisson(rng, mean):
    """Knuth's method; the means here are a few requests per tick."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Simulation:
    def __init__(self, metrics, misbehaviour, traffic, seed):
        self.metrics = metrics
        self.misbehaviour = misbehaviour
        self.traffic = traffic
        self.rng = random.Random(seed)
        self.in_flight = []        # heap of (finish time, sequence, operation, status, code, took)
        self.sequence = 0
        self.queue_depth = 8.0
        self.burst_until = 0.0
        self.started = time.monotonic()

    def load(self, now):
        """Relative traffic: a 10-minute swell between 0.6 and 1.4, and a rare 2x burst."""
        cycle = 1.0 + 0.4 * math.sin(2 * math.pi * (now - self.started) / 600.0)
        if now >= self.burst_until and self.rng.random() < TICK_SECONDS / 120.0:
            self.burst_until = now + self.rng.uniform(10.0, 40.0)
        return cycle * (2.0 if now < self.burst_until else 1.0)

    def start_request(self, now, operation, modes, affected):
        profile = PROFILES[operation]
        broken = operation in affected
        took = self.rng.lognormvariate(math.log(profile.median), profile.sigma)
        status, code = "success", None
        roll = self.rng.random()
        if broken and "errors" in modes and roll < 0.95:
            status = "error"
            code = self.rng.choice(profile.error_codes)
            took = self.rng.uniform(0.02, 0.2)   # failing fast: refused connections, 5xx
        elif roll < profile.p_error:
            status, code = "error", self.rng.choice(profile.error_codes)
        elif roll < profile.p_error + profile.p_timeout:
            status, code, took = "timeout", "timeout", profile.timeout
        elif roll < profile.p_error + profile.p_timeout + profile.p_rate_limited:
            status, took = "rate_limited", self.rng.uniform(0.005, 0.02)
        if broken and "slow" in modes and status != "timeout":
            took = self.rng.uniform(5.5, 9.5)   # failures too, so that "errors,slow" is both
        took = min(took, profile.timeout)
        self.sequence += 1
        heapq.heappush(self.in_flight, (now + took, self.sequence, operation, status, code, took))
        self.metrics.active.labels(operation).inc()

    def finish_requests(self, now):
        while self.in_flight and self.in_flight[0][0] <= now:
            _, _, operation, status, code, took = heapq.heappop(self.in_flight)
            self.metrics.active.labels(operation).dec()
            self.metrics.requests.labels(operation, status).inc()
            self.metrics.duration.labels(operation).observe(took)
            if code is not None:
                self.metrics.errors.labels(operation, code).inc()

    def step_queue(self, modes, load):
        # Healthy, the queue follows the load (about 10 to 35 waiting) and workers keep up.
        target = 15.0 + 10.0 * (load - 1.0)
        if "queue" in modes:
            self.queue_depth = min(20000.0, self.queue_depth + 60.0 * TICK_SECONDS)
        elif self.queue_depth > target + 20.0:
            self.queue_depth = max(target, self.queue_depth - 100.0 * TICK_SECONDS)
        else:
            self.queue_depth += 0.05 * (target - self.queue_depth) + self.rng.gauss(0.0, 1.0)
            self.queue_depth = max(0.0, self.queue_depth)
        self.metrics.queue.set(round(self.queue_depth))

    def run(self):
        next_tick = time.monotonic()
        while True:
            now = time.monotonic()
            modes, affected = self.misbehaviour.get()
            load = self.load(now)
            for operation, profile in PROFILES.items():
                mean = profile.rate * load * self.traffic * TICK_SECONDS
                for _ in range(poisson(self.rng, mean)):
                    self.start_request(now, operation, modes, affected)
            self.finish_requests(now)
            self.step_queue(modes, load)
            next_tick += TICK_SECONDS
            time.sleep(max(0.0, next_tick - time.monotonic()))


def make_handler(registry, misbehaviour):
    class Handler(BaseHTTPRequestHandler):
        def _send(self, code, body, content_type="application/json"):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = urlsplit(self.path).path
            if path == "/metrics":
                self._send(200, generate_latest(registry).decode(), CONTENT_TYPE_LATEST)
            elif path == "/misbehave":
                self._send(200, misbehaviour.as_json() + "\n")
            elif path == "/":
                self._send(200, "CodeBot demo: GET /metrics, GET|POST /misbehave?mode=...\n",
                           "text/plain; charset=utf-8")
            else:
                self._send(404, json.dumps({"error": "not found"}) + "\n")

        def do_POST(self):
            url = urlsplit(self.path)
            if url.path != "/misbehave":
                self._send(404, json.dumps({"error": "not found"}) + "\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            query = parse_qs(url.query)
            if "mode" not in query:
                self._send(400, json.dumps({"error": "missing mode"}) + "\n")
                return
            try:
                modes, operations = Misbehaviour.parse(query.get("mode", [""])[0],
                                                       query.get("operations", [""])[0])
            except ValueError as error:
                self._send(400, json.dumps({"error": str(error)}) + "\n")
                return
            misbehaviour.set(modes, operations)
            print(f"demo bot: misbehave {misbehaviour.as_json()}", file=sys.stderr, flush=True)
            self._send(200, misbehaviour.as_json() + "\n")

        def log_message(self, *args):
            pass   # a scrape every few seconds is not news

    return Handler


def main():
    parser = argparse.ArgumentParser(
        description="Simulated CodeBot traffic in the bot's metric model, with a switch to "
                    "misbehave (see the module docstring).")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--listen-address", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--misbehave", default="none", metavar="MODES",
                        help="errors, slow, queue (comma-separated) or none")
    parser.add_argument("--operations", default="", metavar="OPS",
                        help="operations the misbehaviour hits (default: all)")
    parser.add_argument("--traffic", type=float, default=1.0,
                        help="multiplies the request rate (about 20 requests/s at 1)")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible traffic")
    args = parser.parse_args()

    misbehaviour = Misbehaviour()
    try:
        misbehaviour.set(*Misbehaviour.parse(args.misbehave, args.operations))
    except ValueError as error:
        parser.error(str(error))

    registry = CollectorRegistry()
    simulation = Simulation(Metrics(registry), misbehaviour, args.traffic, args.seed)
    server = ThreadingHTTPServer((args.listen_address, args.port),
                                 make_handler(registry, misbehaviour))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"demo bot: http://{args.listen_address}:{server.server_port}/metrics "
          f"misbehave {misbehaviour.as_json()}", flush=True)
    try:
        simulation.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
