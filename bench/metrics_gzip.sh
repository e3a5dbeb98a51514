#!/usr/bin/env bash
# /metrics plain vs gzip (Accept-Encoding: gzip, as Prometheus sends), side by side in one run.
#
# Measures, on loopback, for the sidecar relaying N series (default 10,000) of
# bench/python_peer.py:
#   - CPU time of the sidecar per scrape (process CPU seconds during a wrk run / requests);
#   - bytes per response, and the ratio plain / gzip;
#   - requests/s and p99 latency under wrk;
#   - that the gzip body decodes to the plain one (the relayed part byte for byte).
# Usage: bench/metrics_gzip.sh [--series N] [--duration 10s] [--connections 8] [--threads 2]
#                              [--bin PATH]
# Needs: a release build (cmake --preset release && cmake --build --preset release), wrk, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

series=10000
duration=10s
connections=8
threads=2
bin=build/release/exporter/codebot-exporter
while [ $# -gt 0 ]; do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
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
cpu_seconds() {  # utime + stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
requests() { awk '/requests in/ { print $1 }' "$1"; }
p99() { awk '$1 == "99%" { print $2 }' "$1"; }

py_port=$(free_port)
/usr/bin/python3 bench/python_peer.py serve --port "$py_port" --series "$series" > "$work/py.log" 2>&1 &
pids+=($!)
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
url="http://127.0.0.1:$port/metrics"
for _ in $(seq 1 100); do
  curl -s "$url" | grep -q '^codebot_exporter_source_up{source="bot"} 1' && break
  sleep 0.1
done
sleep 0.5  # the exposition's compressed part is ready

curl -s -o "$work/plain.txt" "$url"
curl -s -H 'Accept-Encoding: gzip' -D "$work/gzip.head" -o "$work/body.gz" "$url"
grep -qi '^Content-Encoding: gzip' "$work/gzip.head" || { echo "no gzip response" >&2; exit 1; }
plain_bytes=$(wc -c < "$work/plain.txt")
gzip_bytes=$(wc -c < "$work/body.gz")
same=$(/usr/bin/python3 - "$work" <<'PY'
import gzip, sys
w = sys.argv[1]
plain = open(w + "/plain.txt", "rb").read()
decoded = gzip.decompress(open(w + "/body.gz", "rb").read())
cut = lambda t: t[t.index(b"\n# HELP ", t.rindex(b"codebot_exporter_")) + 1:] if b"codebot_exporter_" in t else t
print("yes" if cut(plain) == cut(decoded) and len(cut(plain)) > 0 else "NO")
PY
)

c0=$(cpu_seconds $pid)
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" > "$work/wrk-plain.txt" 2>&1
c1=$(cpu_seconds $pid)
wrk -t"$threads" -c"$connections" -d"$duration" --latency -H 'Accept-Encoding: gzip' "$url" \
  > "$work/wrk-gzip.txt" 2>&1
c2=$(cpu_seconds $pid)

awk -v pr="$(requests "$work/wrk-plain.txt")" -v gr="$(requests "$work/wrk-gzip.txt")" \
    -v prps="$(rps "$work/wrk-plain.txt")" -v grps="$(rps "$work/wrk-gzip.txt")" \
    -v pp99="$(p99 "$work/wrk-plain.txt")" -v gp99="$(p99 "$work/wrk-gzip.txt")" \
    -v c0="$c0" -v c1="$c1" -v c2="$c2" -v pb="$plain_bytes" -v gb="$gzip_bytes" \
    -v series="$series" -v same="$same" \
    -v conf="wrk -t$threads -c$connections -d$duration" 'BEGIN {
  printf "# /metrics with %d relayed series, plain vs gzip, %s, loopback\n", series, conf
  printf "%-28s %12s %12s %10s\n", "", "plain", "gzip", "ratio"
  printf "%-28s %12.3f %12.3f %9.2fx\n", "CPU ms per scrape", (c1 - c0) * 1000 / pr,
         (c2 - c1) * 1000 / gr, ((c2 - c1) / gr) / ((c1 - c0) / pr)
  printf "%-28s %12d %12d %9.1fx smaller\n", "bytes per response", pb, gb, pb / gb
  printf "%-28s %12.1f %12.1f\n", "requests/s", prps, grps
  printf "%-28s %12s %12s\n", "p99 latency", pp99, gp99
  printf "gzip body decodes to the plain exposition: %s\n", same
}'
