#!/usr/bin/env bash
# /metrics under load, side by side with Python's prometheus_client serving the same series.
#
# Measures, on loopback:
#   - requests/s and p99 latency under wrk for the sidecar relaying N series (default 10,000)
#     and for python3-prometheus-client serving those same N series itself;
#   - CPU time per scrape (process CPU seconds consumed during the run / requests served);
#   - bytes per response;
#   - resident memory of the sidecar: idle (no sources) and relaying N series (after the run);
#   - /metrics p99 while the bot endpoint hangs (every bot request sleeps 10 s).
# Usage: bench/metrics_load.sh [--series N] [--duration 10s] [--connections 8] [--threads 2]
# Needs: a release build (cmake --preset release && cmake --build --preset release), wrk,
# python3-prometheus-client (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

series=10000
duration=10s
connections=8
threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

bin=build/release/exporter/codebot-exporter
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
cpu_seconds() {  # utime + stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# wrk prints "Requests/sec: X" and, with --latency, the 99% line.
run_wrk() {
  local url=$1 out=$2
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" > "$out" 2>&1
}
# A steady, unsaturated load (one thread, two connections): latency is service time, not queueing.
run_wrk_light() {
  local url=$1 out=$2
  wrk -t1 -c2 -d"$duration" --latency "$url" > "$out" 2>&1
}
rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
requests() { awk '/requests in/ { print $1 }' "$1"; }
p99() { awk '$1 == "99%" { print $2 }' "$1"; }

# 1. Idle memory: no sources at all.
: > "$work/empty.yml"
port=$(free_port)
"$bin" --config.file="$work/empty.yml" --web.listen-address=127.0.0.1:$port --log.level=warn &
pids+=($!); idle_pid=$!
wait_http "http://127.0.0.1:$port/-/healthy"
sleep 1
curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
idle_rss=$(rss_kb $idle_pid)
kill $idle_pid; wait $idle_pid 2>/dev/null || true

# 2. The Python peer with N series, and the sidecar relaying it.
py_port=$(free_port)
/usr/bin/python3 bench/python_peer.py serve --port "$py_port" --series "$series" > "$work/py.log" 2>&1 &
pids+=($!); py_pid=$!
wait_http "http://127.0.0.1:$py_port/metrics"

cat > "$work/relay.yml" <<YAML
sources:
  bot:
    url: http://127.0.0.1:$py_port/metrics
    interval: 15s
    timeout: 10s
YAML
port=$(free_port)
"$bin" --config.file="$work/relay.yml" --web.listen-address=127.0.0.1:$port --log.level=warn &
pids+=($!); pid=$!
wait_http "http://127.0.0.1:$port/-/ready"
for _ in $(seq 1 100); do
  curl -s "http://127.0.0.1:$port/metrics" | grep -q "^codebot_exporter_source_up{source=\"bot\"} 1" && break
  sleep 0.1
done
relayed=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^codebot_exporter_source_samples/ { print $2 }')
sidecar_bytes=$(curl -s "http://127.0.0.1:$port/metrics" | wc -c)
python_bytes=$(curl -s "http://127.0.0.1:$py_port/metrics" | wc -c)

cpu0=$(cpu_seconds $pid)
run_wrk "http://127.0.0.1:$port/metrics" "$work/wrk-sidecar.txt"
cpu1=$(cpu_seconds $pid)
sidecar_rss=$(rss_kb $pid)
sidecar_hwm=$(hwm_kb $pid)

pcpu0=$(cpu_seconds $py_pid)
run_wrk "http://127.0.0.1:$py_port/metrics" "$work/wrk-python.txt"
pcpu1=$(cpu_seconds $py_pid)
kill $pid; wait $pid 2>/dev/null || true

# 3. /metrics while the bot hangs: every collection blocks until its 5 s timeout.
hang_port=$(free_port)
/usr/bin/python3 bench/python_peer.py hang --port "$hang_port" > "$work/hang.log" 2>&1 &
pids+=($!)
sleep 0.5
cat > "$work/hang.yml" <<YAML
sources:
  bot:
    url: http://127.0.0.1:$hang_port/metrics
    interval: 5s
    timeout: 5s
YAML
port=$(free_port)
"$bin" --config.file="$work/hang.yml" --web.listen-address=127.0.0.1:$port --log.level=error &
pids+=($!); hang_pid=$!
wait_http "http://127.0.0.1:$port/-/healthy"
run_wrk_light "http://127.0.0.1:$port/metrics" "$work/wrk-hang.txt"
kill $hang_pid; wait $hang_pid 2>/dev/null || true

s_rps=$(rps "$work/wrk-sidecar.txt"); p_rps=$(rps "$work/wrk-python.txt")
s_req=$(requests "$work/wrk-sidecar.txt"); p_req=$(requests "$work/wrk-python.txt")
awk -v s_rps="$s_rps" -v p_rps="$p_rps" -v s_req="$s_req" -v p_req="$p_req" \
    -v c0="$cpu0" -v c1="$cpu1" -v pc0="$pcpu0" -v pc1="$pcpu1" \
    -v sb="$sidecar_bytes" -v pb="$python_bytes" -v relayed="$relayed" -v series="$series" \
    -v s_p99="$(p99 "$work/wrk-sidecar.txt")" -v p_p99="$(p99 "$work/wrk-python.txt")" \
    -v h_p99="$(p99 "$work/wrk-hang.txt")" -v h_rps="$(rps "$work/wrk-hang.txt")" \
    -v idle="$idle_rss" -v rss="$sidecar_rss" -v hwm="$sidecar_hwm" \
    -v conf="wrk -t$threads -c$connections -d$duration" 'BEGIN {
  printf "# /metrics with %d series (%s relayed), %s, loopback\n", series, relayed, conf
  printf "%-34s %14s %14s %8s\n", "", "codebot-exporter", "prometheus_client", "ratio"
  printf "%-34s %14.1f %14.1f %7.1fx\n", "requests/s", s_rps, p_rps, s_rps / p_rps
  printf "%-34s %14s %14s\n", "p99 latency", s_p99, p_p99
  printf "%-34s %14.3f %14.3f %7.1fx\n", "CPU ms per scrape", (c1 - c0) * 1000 / s_req,
         (pc1 - pc0) * 1000 / p_req, ((pc1 - pc0) / p_req) / ((c1 - c0) / s_req)
  printf "%-34s %14d %14d\n", "bytes per response", sb, pb
  printf "%-34s %14.1f\n", "sidecar RSS idle (MB)", idle / 1024
  printf "%-34s %14.1f (peak %.1f)\n", "sidecar RSS relaying (MB)", rss / 1024, hwm / 1024
  printf "%-34s %14s (%.0f req/s, wrk -t1 -c2)\n", "/metrics p99 while the bot hangs", h_p99, h_rps
}'
