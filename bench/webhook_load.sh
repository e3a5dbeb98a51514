#!/usr/bin/env bash
# The Alertmanager webhook receiver under load, side by side with a Python aiohttp receiver doing
# the same work (bench/python_receiver.py: strict parsing, the playbook of every alert from
# rules/playbooks.yml, its Grafana links), on loopback, in one run.
#
# Payload: tests/data/webhook/five-alerts.json, five BotErrorRatioHigh alerts in the exact shape
# Alertmanager 0.25 posts (Go's escaping, zero endsAt, fingerprints), POSTed to
# /alertmanager/oncall (one already-grouped notification per request).
#
# Measures for each receiver:
#   - requests/s under wrk (-t2 -c8 by default: as many connections as the sidecar's 8 handler
#     threads);
#   - p50 and p99 latency at a fixed rate (default 1,000 requests/s): wrk paced by its delay()
#     hook, each connection waiting so that the whole stays at the rate; the script calibrates the
#     delay in a short first run and reports the rate actually achieved (closed-loop pacing: fine
#     while latency is far below the pacing interval, as here);
#   - CPU time per request (utime + stime from /proc/<pid>/stat around the saturating run).
#
# C++ side: by default the receiver's routes in a small harness
# (tests/unit/alerts_webhook/bench_server_test.cc, WebhookBenchServer.DISABLED_Serve: the
# sidecar's RegisterRoutes with a receiver enriching every alert with the sidecar's Enricher, the
# work the Python peer does). --url URL --pid PID measures an already running receiver instead
# (the real sidecar with a receiver "oncall" configured).
#
# Usage: bench/webhook_load.sh [--build-dir build/release] [--duration 10s] [--connections 8]
#                              [--threads 2] [--rate 1000] [--url URL --pid PID]
# Needs: a build with tests (cmake --preset release && cmake --build --preset release), wrk,
# python3-aiohttp and python3-yaml for /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build/release
duration=10s
connections=8
threads=2
rate=1000
url=""
pid=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --pid) pid=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -n "$url" ] && [ -z "$pid" ]; then echo "--url needs --pid (for CPU time)" >&2; exit 2; fi

harness=$build_dir/tests/unit_alerts_webhook_bench_server_test
if [ -z "$url" ] && [ ! -x "$harness" ]; then
  echo "build first: cmake --preset release && cmake --build --preset release" \
       "--target unit_alerts_webhook_bench_server_test" >&2
  exit 1
fi
command -v wrk > /dev/null || { echo "wrk is not installed" >&2; exit 1; }
payload=$PWD/tests/data/webhook/five-alerts.json

work=$(mktemp -d /tmp/codebot-webhook-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {  # a POST of the payload answers 200
  for _ in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -XPOST -H 'Content-Type: application/json' \
         --data-binary @"$payload" "$1")" = 200 ] && return 0
    sleep 0.05
  done
  echo "timeout waiting for $1" >&2; return 1
}
cpu_seconds() {  # utime + stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# wrk scripts: POST the payload; the paced one waits `delay` ms between a response and the next
# request on each connection. wrk's delay is whole milliseconds, so a fractional delay is spread
# over successive requests.
post_script() {
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("$payload", "rb"))
wrk.body = f:read("*a")
f:close()
LUA
  if [ -n "${2:-}" ]; then
    cat >> "$1" <<LUA
local carry = 0
function delay()
  carry = carry + $2
  local whole = math.floor(carry)
  carry = carry - whole
  return whole
end
LUA
  fi
}
post_script "$work/post.lua"

rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
requests() { awk '/requests in/ { print $1 }' "$1"; }
non2xx() { awk '/Non-2xx/ { print $NF }' "$1"; }
# A latency percentile line of wrk --latency ("99%  1.23ms"), in milliseconds.
percentile_ms() {
  awk -v p="$2" '$1 == p {
    v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
    if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000
    printf "%.3f", v }' "$1"
}

# Saturation, then a paced run at $rate: a 3 s calibration with the nominal delay, then the
# measured run with the delay corrected by the latency the calibration saw.
measure() {
  local name=$1 target=$2 proc=$3
  local c0 c1
  c0=$(cpu_seconds "$proc")
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/post.lua" "$target" \
    > "$work/$name-saturated.txt" 2>&1
  c1=$(cpu_seconds "$proc")
  echo "$c0 $c1" > "$work/$name-cpu.txt"
  local paced_connections=$connections
  local nominal
  nominal=$(awk -v c="$paced_connections" -v r="$rate" 'BEGIN { printf "%.4f", c * 1000 / r }')
  post_script "$work/$name-calibrate.lua" "$nominal"
  wrk -t1 -c"$paced_connections" -d3s --latency -s "$work/$name-calibrate.lua" "$target" \
    > "$work/$name-calibrate.txt" 2>&1
  local corrected
  corrected=$(awk -v c="$paced_connections" -v r="$rate" -v got="$(rps "$work/$name-calibrate.txt")" \
                  -v d="$nominal" 'BEGIN { lat = c * 1000 / got - d; x = d - lat; if (x < 0) x = 0;
                                           printf "%.4f", x }')
  post_script "$work/$name-paced.lua" "$corrected"
  wrk -t1 -c"$paced_connections" -d"$duration" --latency -s "$work/$name-paced.lua" "$target" \
    > "$work/$name-paced.txt" 2>&1
}

# The C++ receiver.
if [ -z "$url" ]; then
  port=$(free_port)
  CODEBOT_BENCH_PORT=$port "$harness" --gtest_also_run_disabled_tests \
    --gtest_filter=WebhookBenchServer.DISABLED_Serve > "$work/harness.log" 2>&1 &
  pids+=($!); pid=$!
  url=http://127.0.0.1:$port/alertmanager/oncall
  cpp_label="C++ (harness)"
else
  cpp_label="C++ ($url)"
fi
wait_ready "$url"

# The Python receiver.
py_port=$(free_port)
/usr/bin/python3 bench/python_receiver.py --port "$py_port" > "$work/python.log" 2>&1 &
pids+=($!); py_pid=$!
py_url=http://127.0.0.1:$py_port/alertmanager/oncall
wait_ready "$py_url"

# Both check the payload: one of another version is refused by both.
for target in "$url" "$py_url"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST -H 'Content-Type: application/json' \
           -d '{"version":"3","status":"firing","alerts":[]}' "$target")
  [ "$code" = 400 ] || { echo "$target answered $code to a version 3 payload" >&2; exit 1; }
done

measure cpp "$url" "$pid"
measure python "$py_url" "$py_pid"

for name in cpp python; do
  for run in saturated paced; do
    bad=$(non2xx "$work/$name-$run.txt")
    if [ -n "$bad" ]; then echo "$name $run: $bad answers were not 2xx" >&2; cat "$work/$name-$run.txt" >&2; exit 1; fi
  done
done

read -r cc0 cc1 < "$work/cpp-cpu.txt"
read -r pc0 pc1 < "$work/python-cpu.txt"
awk -v c_rps="$(rps "$work/cpp-saturated.txt")" -v p_rps="$(rps "$work/python-saturated.txt")" \
    -v c_req="$(requests "$work/cpp-saturated.txt")" -v p_req="$(requests "$work/python-saturated.txt")" \
    -v cc0="$cc0" -v cc1="$cc1" -v pc0="$pc0" -v pc1="$pc1" \
    -v c_sp99="$(percentile_ms "$work/cpp-saturated.txt" 99%)" \
    -v p_sp99="$(percentile_ms "$work/python-saturated.txt" 99%)" \
    -v c_rate="$(rps "$work/cpp-paced.txt")" -v p_rate="$(rps "$work/python-paced.txt")" \
    -v c_p50="$(percentile_ms "$work/cpp-paced.txt" 50%)" -v p_p50="$(percentile_ms "$work/python-paced.txt" 50%)" \
    -v c_p99="$(percentile_ms "$work/cpp-paced.txt" 99%)" -v p_p99="$(percentile_ms "$work/python-paced.txt" 99%)" \
    -v bytes="$(wc -c < "$payload")" -v conf="wrk -t$threads -c$connections -d$duration" \
    -v rate="$rate" -v label="$cpp_label" 'BEGIN {
  printf "# webhook receiver: 5-alert payload (%d bytes), %s, loopback\n", bytes, conf
  printf "%-36s %16s %16s %8s\n", "", label, "Python aiohttp", "ratio"
  printf "%-36s %16.1f %16.1f %7.1fx\n", "requests/s (saturated)", c_rps, p_rps, c_rps / p_rps
  printf "%-36s %16.3f %16.3f\n", "p99 ms (saturated)", c_sp99, p_sp99
  printf "%-36s %16.1f %16.1f\n", "achieved rate, paced at " rate "/s", c_rate, p_rate
  printf "%-36s %16.3f %16.3f\n", "p50 ms (paced)", c_p50, p_p50
  printf "%-36s %16.3f %16.3f\n", "p99 ms (paced)", c_p99, p_p99
  printf "%-36s %16.3f %16.3f %7.1fx\n", "CPU ms per request", (cc1 - cc0) * 1000 / c_req,
         (pc1 - pc0) * 1000 / p_req, ((pc1 - pc0) / p_req) / ((cc1 - cc0) / c_req)
}'
