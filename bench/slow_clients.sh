#!/usr/bin/env bash
# /metrics and the probes while slow clients hold connections open, side by side with none.
#
# Measures, on loopback, with the sidecar relaying N series (default 1,000; 0 for no source):
#   - p50/p99/max latency of /metrics and of /metrics, /-/healthy, /-/ready, /health/live
#     together (a fresh connection per request, one every 50 ms), with no slow client and with
#     --slow (default 256) of them: a third sending nothing, a third half a request head, a third
#     a request body one byte a second, spread over 8 loopback addresses, each reopened as soon
#     as the sidecar closes it (as an attacker would);
#   - the same with every slow client from one address (the per-client limit at work);
#   - how many slow connections the sidecar closed, and its resident memory before and after.
# Usage: bench/slow_clients.sh [--series N] [--slow N] [--duration SECONDS] [--bin PATH]
# Needs: a release build (cmake --preset release && cmake --build --preset release), python3.
set -euo pipefail
cd "$(dirname "$0")/.."

series=1000
slow=256
duration=10
bin=build/release/exporter/codebot-exporter
while [ $# -gt 0 ]; do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --slow) slow=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }

work=$(mktemp -d /tmp/codebot-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "timeout waiting for $1" >&2; return 1
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

: > "$work/config.yml"
if [ "$series" -gt 0 ]; then
  py_port=$(free_port)
  /usr/bin/python3 bench/python_peer.py serve --port "$py_port" --series "$series" > "$work/py.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$py_port/metrics"
  printf 'sources:\n  bot:\n    url: http://127.0.0.1:%s/metrics\n    interval: 15s\n' "$py_port" \
    > "$work/config.yml"
fi
port=$(free_port)
"$bin" --config.file="$work/config.yml" --web.listen-address=127.0.0.1:$port --log.level=error &
pids+=($!); pid=$!
wait_http "http://127.0.0.1:$port/-/ready"
sleep 1
rss0=$(rss_kb $pid)

load() { /usr/bin/python3 bench/slow_clients.py --port "$port" --duration "$duration" "$@"; }
load --slow 0 > "$work/none.json"
load --slow "$slow" --sources 8 > "$work/slow.json"
load --slow "$slow" --sources 1 > "$work/one.json"
rss1=$(rss_kb $pid)
hwm=$(hwm_kb $pid)
rejected=$(curl -s "http://127.0.0.1:$port/metrics" | grep '^codebot_exporter_http_connections_rejected_total' | awk '$2 > 0 { sub(/.*reason="/, "", $1); sub(/".*/, "", $1); printf "%s=%d ", $1, $2 }')

/usr/bin/python3 - "$work" "$slow" "$series" "$rss0" "$rss1" "$hwm" "$rejected" <<'PY'
import json, sys
work, slow, series, rss0, rss1, hwm, rejected = sys.argv[1:]
rows = [("none", json.load(open(work + "/none.json"))),
        (slow + " slow, 8 addresses", json.load(open(work + "/slow.json"))),
        (slow + " slow, 1 address", json.load(open(work + "/one.json")))]
print("# /metrics and probes with slow clients, %s relayed series, loopback" % series)
print("%-24s %10s %10s %10s %10s %8s %8s %10s" % ("slow clients", "/metrics", "all p50",
      "all p99", "all max", "reqs", "failed", "closed"))
print("%-24s %10s %10s %10s %10s %8s %8s %10s" % ("", "p99 ms", "ms", "ms", "ms", "", "", "by server"))
for name, r in rows:
    f = lambda v: "-" if v is None else "%.2f" % v
    print("%-24s %10s %10s %10s %10s %8d %8d %10d" % (name, f(r["metrics_p99_ms"]), f(r["p50_ms"]),
          f(r["p99_ms"]), f(r["max_ms"]), r["requests"], r["failures"], r["slow_closed_by_server"]))
base = rows[0][1]["metrics_p99_ms"]
for name, r in rows[1:]:
    if base and r["metrics_p99_ms"]:
        print("/metrics p99 ratio (%s / none): %.2fx" % (name, r["metrics_p99_ms"] / base))
print("sidecar RSS before %.1f MB, after %.1f MB, peak %.1f MB" % (int(rss0) / 1024, int(rss1) / 1024, int(hwm) / 1024))
print("rejected connections: %s" % (rejected or "none"))
PY
