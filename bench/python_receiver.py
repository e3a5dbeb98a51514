#!/usr/bin/python3
"""Benchmark peer: an Alertmanager webhook receiver in Python (Debian's python3-aiohttp), doing
what the sidecar's receiver does with a payload, so that the two can be compared on one machine:

  - parse the JSON and check it like the sidecar (version "4", status, receiver, groupKey, the
    alerts with their status, labels (valid names, an alertname), annotations, RFC 3339 startsAt
    and endsAt, fingerprint), answering 400 with the reason;
  - enrich every alert with its playbook from rules/playbooks.yml (Alertmanager matchers, first
    match wins, else the default) and build the Grafana links around its start.

  python_receiver.py --port P [--playbooks rules/playbooks.yml] [--grafana-url URL]

POST /alertmanager and POST /alertmanager/<receiver> answer {"status":"success"}.
"""
import argparse
import datetime
import json
import re
import urllib.parse

import yaml
from aiohttp import web

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')
GO_ZERO = "0001-01-01T00:00:00Z"


class Invalid(Exception):
    pass


def parse_time(value, where):
    if not isinstance(value, str):
        raise Invalid(f"{where}: expected an RFC 3339 string")
    if value == GO_ZERO:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{where}: not RFC 3339: {value[:40]!r}")


def label_map(obj, key, where, required=False):
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(f"{where}: missing")
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"{where}: expected an object of strings")
    out = {}
    for name, text in value.items():
        if not LABEL_NAME.match(name):
            raise Invalid(f"{where}: invalid label name {name[:40]!r}")
        if not isinstance(text, str):
            raise Invalid(f"{where}.{name}: expected a string")
        if text:
            out[name] = text
    return dict(sorted(out.items()))


def parse_payload(doc):
    if not isinstance(doc, dict):
        raise Invalid("body: expected a JSON object")
    if doc.get("version") != "4":
        raise Invalid('version: expected "4"')
    for key in ("status", "receiver", "groupKey"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise Invalid(f"{key}: missing")
    if doc["status"] not in ("firing", "resolved"):
        raise Invalid('status: expected "firing" or "resolved"')
    payload = {
        "receiver": doc["receiver"],
        "status": doc["status"],
        "group_key": doc["groupKey"],
        "group_labels": label_map(doc, "groupLabels", "groupLabels"),
        "common_labels": label_map(doc, "commonLabels", "commonLabels"),
        "common_annotations": label_map(doc, "commonAnnotations", "commonAnnotations"),
        "external_url": doc.get("externalURL") or "",
    }
    alerts = doc.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise Invalid("alerts: expected a non-empty array")
    if len(alerts) > 10000:
        raise Invalid("alerts: too many")
    parsed = []
    any_firing = False
    for i, item in enumerate(alerts):
        where = f"alerts[{i}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where}: expected an object")
        status = item.get("status")
        if status not in ("firing", "resolved"):
            raise Invalid(f"{where}.status: expected \"firing\" or \"resolved\"")
        labels = label_map(item, "labels", f"{where}.labels", required=True)
        if "alertname" not in labels:
            raise Invalid(f"{where}.labels: no alertname")
        annotations = label_map(item, "annotations", f"{where}.annotations")
        starts = parse_time(item.get("startsAt"), f"{where}.startsAt")
        if starts is None:
            raise Invalid(f"{where}.startsAt: Go's zero time")
        ends = parse_time(item.get("endsAt", GO_ZERO), f"{where}.endsAt")
        if ends is not None and ends < starts:
            raise Invalid(f"{where}.endsAt: before startsAt")
        fingerprint = item.get("fingerprint", "")
        if fingerprint and not FINGERPRINT.match(fingerprint):
            raise Invalid(f"{where}.fingerprint: expected 16 lower-case hex digits")
        any_firing = any_firing or status == "firing"
        parsed.append({"status": status, "labels": labels, "annotations": annotations,
                       "starts": starts, "ends": ends if status == "resolved" else None,
                       "generator_url": item.get("generatorURL", ""),
                       "fingerprint": fingerprint})
    if any_firing != (payload["status"] == "firing"):
        raise Invalid("status: disagrees with the alerts")
    payload["alerts"] = parsed
    return payload


def compile_matcher(text):
    m = MATCHER.match(text)
    if not m:
        raise ValueError(f"bad matcher {text!r}")
    name, op, value = m.group(1), m.group(2), m.group(3).encode().decode("unicode_escape")
    if op in ("=~", "!~"):
        regex = re.compile(f"^(?:{value})$")
        return lambda labels: bool(regex.match(labels.get(name, ""))) == (op == "=~")
    return lambda labels: (labels.get(name, "") == value) == (op == "=")


def parse_window(text):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    total = 0.0
    for number, unit in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(text)):
        total += int(number) * units[unit]
    return total or 3600


class Playbooks:
    def __init__(self, path, grafana_url):
        with open(path) as f:
            doc = yaml.safe_load(f)
        self.grafana_url = grafana_url.rstrip("/")
        self.playbooks = [(
            [compile_matcher(m) for m in p.get("matchers", [])], p) for p in doc.get("playbooks", [])]
        self.default = doc.get("default")

    def find(self, labels):
        for matchers, playbook in self.playbooks:
            if all(match(labels) for match in matchers):
                return playbook, False
        return self.default, True

    def dashboard_url(self, dashboard, alert, now):
        window = parse_window(dashboard.get("window", "1h"))
        start = alert["starts"].timestamp()
        query = [("from", str(int((start - window) * 1000)))]
        if alert["ends"] is not None:
            query.append(("to", str(int((alert["ends"].timestamp() + window / 2) * 1000))))
        else:
            query.append(("to", "now"))
        for name, value in alert["labels"].items():
            if name not in ("alertname", "job", "instance"):
                query.append((f"var-{name}", value))
        return (f"{self.grafana_url}/d/{urllib.parse.quote(dashboard['uid'])}?"
                + urllib.parse.urlencode(query, quote_via=urllib.parse.quote))

    def enrich(self, alert, now):
        playbook, from_default = self.find(alert["labels"])
        if playbook is None:
            return {"runbook_url": alert["annotations"].get("runbook_url", "")}
        return {
            "summary": playbook.get("summary", ""),
            "actions": list(playbook.get("actions", [])),
            "runbook_url": playbook.get("runbook_url") or alert["annotations"].get("runbook_url", ""),
            "affected_services": list(playbook.get("affected_services", [])),
            "dashboards": [{"title": d.get("title", ""), "url": self.dashboard_url(d, alert, now)}
                           for d in playbook.get("dashboards", [])] if self.grafana_url else [],
            "from_default": from_default,
        }


def make_app(playbooks):
    handed_over = {"groups": 0, "alerts": 0}

    async def receive(request):
        ctype = request.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if ctype and ctype.lower() != "application/json" and not ctype.lower().endswith("+json"):
            return web.json_response({"status": "error", "error": "Content-Type"}, status=415)
        body = await request.read()
        try:
            doc = json.loads(body)
        except ValueError as e:
            return web.json_response({"status": "error", "error": f"body: not valid JSON: {e}"},
                                     status=400)
        try:
            payload = parse_payload(doc)
        except Invalid as e:
            return web.json_response({"status": "error", "error": str(e)}, status=400)
        now = datetime.datetime.now(datetime.timezone.utc)
        for alert in payload["alerts"]:
            alert["enrichment"] = playbooks.enrich(alert, now)
        handed_over["groups"] += 1
        handed_over["alerts"] += len(payload["alerts"])
        return web.json_response({"status": "success"})

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/alertmanager", receive)
    app.router.add_post("/alertmanager/{receiver}", receive)
    return app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--playbooks", default="rules/playbooks.yml")
    parser.add_argument("--grafana-url", default="https://grafana.example.com")
    args = parser.parse_args()
    app = make_app(Playbooks(args.playbooks, args.grafana_url))
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
