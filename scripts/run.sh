#!/usr/bin/env bash
# Builds codebot-exporter and runs it with the shipped example config, beside a demo bot and a
# real Prometheus that scrapes it:
#   demo bot          http://127.0.0.1:8000/metrics   (examples/demo_bot.py; skip with --no-demo)
#   codebot-exporter  http://127.0.0.1:9877/          (examples/codebot-exporter.yml)
#   Prometheus        http://127.0.0.1:9090/          (examples/prometheus.yml)
# Ctrl-C stops all three. Extra arguments go to codebot-exporter, e.g. --log.format=logfmt.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
args=()
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    *) args+=("$arg") ;;
  esac
done

./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target codebot-exporter

state=$(mktemp -d /tmp/codebot-run-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

if [ "$demo" = 1 ]; then
  /usr/bin/python3 examples/demo_bot.py --port 8000 &
  pids+=($!)
fi
prometheus --config.file=examples/prometheus.yml --storage.tsdb.path="$state/prometheus" \
  --web.listen-address=127.0.0.1:9090 --log.level=warn &
pids+=($!)

echo "codebot-exporter: http://127.0.0.1:9877/  (metrics at /metrics)" >&2
echo "Prometheus:       http://127.0.0.1:9090/targets" >&2
./build/release/exporter/codebot-exporter --config.file=examples/codebot-exporter.yml \
  --web.listen-address=127.0.0.1:9877 "${args[@]}" &
pids+=($!)
wait "${pids[-1]}"
