#!/usr/bin/python3
"""A stand-in for CodeBot's metrics endpoint, for the README's run command.

Serves the counters the real bot exposes (messages by command, GitHub sync durations, errors,
active users) on http://127.0.0.1:8000/metrics with Debian's python3-prometheus-client, and
makes them move a little every second so there is something to watch. Not part of the sidecar.
"""
import argparse
import random
import time

from prometheus_client import Counter, Gauge, Histogram, start_http_server

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--port", type=int, default=8000)
parser.add_argument("--error-ratio", type=float, default=0.02,
                    help="share of requests that fail with a 5xx")
args = parser.parse_args()

messages = Counter("codebot_messages", "Telegram messages handled.", ["command"])
requests = Counter("http_requests", "HTTP requests served by the bot.", ["code", "handler"])
sync_seconds = Histogram("http_request_duration_seconds", "Request latency.", ["handler"],
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10))
github_calls = Counter("codebot_github_api_calls", "GitHub API calls made by the bot.",
                       ["endpoint", "status"])
active_users = Gauge("codebot_active_users", "Users active in the last hour.")
queue_depth = Gauge("codebot_sync_queue_depth", "Repositories waiting to be synced.")

start_http_server(args.port, addr="127.0.0.1")
print(f"demo bot: http://127.0.0.1:{args.port}/metrics", flush=True)
while True:
    for _ in range(random.randint(5, 20)):
        command = random.choice(["start", "sync", "status", "search", "help"])
        messages.labels(command).inc()
        code = "500" if random.random() < args.error_ratio else "200"
        requests.labels(code, command).inc()
        sync_seconds.labels(command).observe(random.lognormvariate(-1.5, 0.8))
        if command in ("sync", "search"):
            github_calls.labels("repos" if command == "sync" else "search",
                                random.choice(["200"] * 30 + ["403"])).inc()
    active_users.set(random.randint(20, 40))
    queue_depth.set(random.randint(0, 8))
    time.sleep(1)
