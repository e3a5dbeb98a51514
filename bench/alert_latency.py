#!/usr/bin/python3
"""From a local rule firing to the on-call chat: how long after the alert becomes active (its
activeAt, the evaluation that found it) and the route's group_wait a local fake of Telegram's
Bot API receives the firing message. The target is at most 100 ms beyond group_wait.

The sidecar runs one rule whose condition holds for the first half of every --cycle seconds
(`time() % cycle < cycle / 2`), so each cycle an alert starts firing, is notified, resolves and is
notified resolved; the group is new each cycle, so each firing waits group_wait. The script polls
/api/v1/alerts for each alert's activeAt and takes the time the fake received the sendMessage
that is not a reply (the firing one; the resolved one replies to it).

  bench/alert_latency.py [--binary build/release/exporter/codebot-exporter] [--cycles 6]
                         [--cycle 20] [--group-wait 1s] [--eval-interval 1s]

Needs python3-aiohttp (Debian) for the fake; run it on a quiet machine.
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from aiohttp import web


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_duration_s(text):
    units = {"ms": 0.001, "s": 1, "m": 60}
    for suffix in ("ms", "s", "m"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * units[suffix]
    raise ValueError(text)


def rfc3339_to_unix(text):
    # 2026-12-05T07:40:01.123456789Z -> float seconds (nanoseconds cut to microseconds).
    date, frac = text.rstrip("Z"), "0"
    if "." in date:
        date, frac = date.split(".")
    base = time.mktime(time.strptime(date, "%Y-%m-%dT%H:%M:%S")) - time.timezone
    return base + float("0." + frac)


class FakeTelegram:
    def __init__(self):
        self.received = []  # (unix time, is reply)
        self.next_id = 1

    async def send_message(self, request):
        now = time.time()
        body = await request.json()
        self.received.append((now, "reply_to_message_id" in body or "reply_parameters" in body))
        message_id = self.next_id
        self.next_id += 1
        result = {"message_id": message_id, "date": int(now),
                  "chat": {"id": body.get("chat_id"), "type": "supergroup"},
                  "text": body.get("text", "")}
        return web.json_response({"ok": True, "result": result})


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default="build/release/exporter/codebot-exporter")
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--cycle", type=int, default=20, help="seconds; the alert fires half")
    parser.add_argument("--group-wait", default="1s")
    parser.add_argument("--eval-interval", default="1s")
    args = parser.parse_args()
    group_wait = parse_duration_s(args.group_wait)

    fake = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", fake.send_message)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    telegram_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", telegram_port).start()

    work = tempfile.mkdtemp(prefix="alert-latency-")
    half = args.cycle / 2
    with open(os.path.join(work, "rules.yml"), "w") as f:
        f.write(f"""groups:
- name: latency
  rules:
  - alert: LatencyProbe
    expr: vector(1) and on() (vector(time()) % {args.cycle} < {half})
    labels: {{severity: warning}}
    annotations: {{summary: probe}}
""")
    with open(os.path.join(work, "config.yml"), "w") as f:
        f.write(f"""global:
  evaluation_interval: {args.eval_interval}
rule_files: [rules.yml]
notifications:
  data_dir: outbox
route:
  receiver: chat
  group_by: [alertname]
  group_wait: {args.group_wait}
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: chat
    telegram_configs:
      - bot_token: "123456:bench"
        chat_id: -1001
        api_url: http://127.0.0.1:{telegram_port}
""")
    port = free_port()
    sidecar = subprocess.Popen(
        [os.path.abspath(args.binary), "--config.file=" + os.path.join(work, "config.yml"),
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=" + os.environ.get("LOG_LEVEL", "warn")],
        cwd=work, stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("LOG_LEVEL") else subprocess.DEVNULL)
    active_at = {}  # activeAt (unix) -> first time seen
    try:
        deadline = time.time() + args.cycle * (args.cycles + 1) + 5
        while time.time() < deadline and len(active_at) < args.cycles:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/alerts",
                                            timeout=1) as response:
                    for alert in json.load(response)["data"]["alerts"]:
                        if alert["state"] == "firing":
                            active_at.setdefault(rfc3339_to_unix(alert["activeAt"]), time.time())
            except OSError:
                pass
            await asyncio.sleep(0.05)
        await asyncio.sleep(group_wait + 1)
    finally:
        sidecar.send_signal(signal.SIGTERM)
        sidecar.wait(timeout=10)
        await runner.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    firing = sorted(t for t, is_reply in fake.received if not is_reply)
    latencies = []
    for start in sorted(active_at):
        after = [t for t in firing if t >= start]
        if after:
            latencies.append((after[0] - start - group_wait) * 1000)
    if not latencies:
        print("no firing message arrived", file=sys.stderr)
        return 1
    print(f"alerts: {len(active_at)}, firing messages: {len(firing)}, "
          f"resolved replies: {sum(1 for _, r in fake.received if r)}")
    print(f"beyond group_wait ({args.group_wait}, evaluation every {args.eval_interval}): "
          f"median {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms "
          f"(each: {', '.join(f'{x:.1f}' for x in latencies)})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
