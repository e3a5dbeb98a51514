#!/usr/bin/env bash
# Rule evaluation side by side (issue 4): one group of 20 typical bot rules
# (bench/rules/bot_rules.yml) over 10,000 series holding one hour of samples at 15 s, evaluated
# once a second by
#   - Prometheus 2.42 over the data backfilled as TSDB blocks (promtool tsdb
#     create-blocks-from openmetrics), the way its own differential test loads data;
#   - Prometheus 2.42 over the same data pushed into its head (in-memory chunks, as for recent
#     scraped data) through its remote-write receiver, in time order;
#   - the sidecar's rule manager over its live sample store (store::SeriesStore), in
#     bench/rules/rules_eval_bench.cc, at the same instants relative to the data;
# and reads each side's own group timing: Prometheus' prometheus_rule_group_last_duration_seconds
# and the sidecar's equivalent. The data is generated once by the benchmark binary (the same
# deterministic generator fills our store), so both sides hold the same series and samples.
# Reports medians over N evaluations (after 3 warm-up ones) and the ratio; the target is <= 0.5.
#
# Usage: bench/rules_eval.sh [N]          (default N=30)
#   CODEBOT_RULES_BENCH  benchmark binary (default: build/release/bench/bench_rules_rules_eval_bench;
#                        cmake --preset release && cmake --build --preset release
#                        --target bench_rules_rules_eval_bench)
#   PROMETHEUS, PROMTOOL (default: from PATH, Debian's 2.42)
#   SKIP_HEAD=1          skip the remote-write (head) run
set -euo pipefail

N=${1:-30}
WARMUP=3
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=${CODEBOT_RULES_BENCH:-$HERE/../build/release/bench/bench_rules_rules_eval_bench}
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
RULES=$HERE/rules/bot_rules.yml
PY=/usr/bin/python3

for program in "$BENCH" "$PROMETHEUS" "$PROMTOOL" "$PY" "$(command -v curl || true)"; do
  [ -n "$program" ] && [ -x "$program" ] || { echo "missing program: ${program:-?}" >&2; exit 2; }
done

work=$(mktemp -d /tmp/codebot-rules-eval-XXXXXX)
prom_pid=
stop_prometheus() {
  if [ -n "$prom_pid" ]; then
    kill "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
    prom_pid=
  fi
}
cleanup() {
  stop_prometheus
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now_ms() { date +%s%3N; }

echo "== promtool check rules"
"$PROMTOOL" check rules "$RULES"

cat >"$work/prometheus.yml" <<EOF
global:
  evaluation_interval: 1s
rule_files:
  - $RULES
EOF

# start_prometheus <data dir> [flags...]: starts it on a free port and waits for /-/ready.
start_prometheus() {
  local data=$1
  shift
  prom_port=$(free_port)
  "$PROMETHEUS" --config.file="$work/prometheus.yml" --storage.tsdb.path="$data" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn "$@" \
    >>"$work/prometheus.log" 2>&1 &
  prom_pid=$!
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "prometheus did not start:" >&2
  cat "$work/prometheus.log" >&2
  exit 1
}

# measure_prometheus <label> <end_ms> <not_before_ms>: the group's timings of N evaluations
# after WARMUP ones, all at or after not_before_ms, as JSON in $work/<label>.json.
measure_prometheus() {
  BENCH_URL="http://127.0.0.1:$prom_port" BENCH_N=$N BENCH_WARMUP=$WARMUP BENCH_END_MS=$2 \
    BENCH_NOT_BEFORE_MS=$3 BENCH_OUT="$work/$1.json" "$PY" - <<'EOF'
import json, os, re, sys, time, urllib.request

url, n, warmup = os.environ["BENCH_URL"], int(os.environ["BENCH_N"]), int(os.environ["BENCH_WARMUP"])
end_ms, not_before = int(os.environ["BENCH_END_MS"]), int(os.environ["BENCH_NOT_BEFORE_MS"])
LINE = re.compile(r'^(\w+)\{([^}]*)\}\s+(\S+)')

def group_metrics():
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m and m.group(1).startswith("prometheus_rule_") and "bench-bot" in m.group(2):
            values[m.group(1)] = values.get(m.group(1), 0) + float(m.group(3))
    return values

seen, runs, deadline = None, [], time.time() + 30 + 5 * (n + warmup)
while len(runs) < n + warmup:
    if time.time() > deadline:
        sys.exit("timed out waiting for rule evaluations")
    m = group_metrics()
    ts = m.get("prometheus_rule_group_last_evaluation_timestamp_seconds")
    if ts is not None and ts != seen and ts * 1000 >= not_before:
        seen = ts
        runs.append({"t_ms": round(ts * 1000),
                     "ms": m["prometheus_rule_group_last_duration_seconds"] * 1000,
                     "samples": m.get("prometheus_rule_group_last_evaluation_samples", 0)})
    time.sleep(0.1)
failures = group_metrics().get("prometheus_rule_evaluation_failures_total", 0)
runs = runs[warmup:]
json.dump({"runs": runs, "failures": failures, "offset_ms": runs[0]["t_ms"] - end_ms},
          open(os.environ["BENCH_OUT"], "w"))
EOF
}

# run_ours <label> <end_ms> <offset_ms> [filter]: the benchmark binary at the same instants.
run_ours() {
  "$BENCH" --end_ms="$2" --eval_offset_ms="$3" --evaluations="$N" \
    --benchmark_filter="${4:-.}" --benchmark_counters_tabular=true \
    --benchmark_out="$work/$1.json" --benchmark_out_format=json 2>&1 | grep -v '"level"' || true
  [ -s "$work/$1.json" ] || { echo "benchmark failed" >&2; exit 1; }
}

# --- Prometheus over backfilled blocks ----------------------------------------------------------
end_blocks=$(now_ms)
echo "== generating 1 h of data ending at $end_blocks"
"$BENCH" --openmetrics="$work/data.om" --end_ms="$end_blocks"
echo "== promtool tsdb create-blocks-from openmetrics"
"$PROMTOOL" tsdb create-blocks-from openmetrics "$work/data.om" "$work/blocks" >"$work/backfill.log"
rm -f "$work/data.om"
echo "== Prometheus over the blocks: $((N + WARMUP)) evaluations"
start_prometheus "$work/blocks"
measure_prometheus prom_blocks "$end_blocks" 0
stop_prometheus
offset_blocks=$("$PY" -c "import json; print(json.load(open('$work/prom_blocks.json'))['offset_ms'])")
echo "== codebot-exporter at the same instants (first evaluation $offset_blocks ms after the data)"
run_ours ours_blocks "$end_blocks" "$offset_blocks"

# --- Prometheus over its head, filled by remote write -----------------------------------------
if [ "${SKIP_HEAD:-0}" != 1 ]; then
  end_head=$(now_ms)
  echo "== generating the same data ending at $end_head as remote-write bodies"
  "$BENCH" --remote_write_dir="$work/rw" --end_ms="$end_head"
  start_prometheus "$work/head" --web.enable-remote-write-receiver
  for body in "$work"/rw/*.bin; do
    curl -sf -X POST --data-binary "@$body" -H 'Content-Type: application/x-protobuf' \
      -H 'Content-Encoding: snappy' -H 'X-Prometheus-Remote-Write-Version: 0.1.0' \
      "http://127.0.0.1:$prom_port/api/v1/write" || { echo "remote write failed" >&2; exit 1; }
  done
  pushed=$(now_ms)
  echo "== Prometheus over its head: $((N + WARMUP)) evaluations"
  measure_prometheus prom_head "$end_head" "$pushed"
  stop_prometheus
  offset_head=$("$PY" -c "import json; print(json.load(open('$work/prom_head.json'))['offset_ms'])")
  echo "== codebot-exporter at the same instants (first evaluation $offset_head ms after the data)"
  run_ours ours_head "$end_head" "$offset_head" BM_RuleGroupOverSeriesStore
fi

# --- report -------------------------------------------------------------------------------------
BENCH_WORK=$work BENCH_N=$N "$PY" - <<'EOF'
import json, os, statistics

work = os.environ["BENCH_WORK"]

def load(name):
    path = os.path.join(work, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None

def ours(name, bench):
    data = load(name)
    if not data:
        return None
    for b in data["benchmarks"]:
        if b["name"].startswith(bench):
            return b
    return None

print()
data = ours("ours_blocks", "BM_RuleGroupOverSeriesStore") or ours("ours_head", "BM_")
print("Rule group evaluation: 20 rules, %d series, %d samples (1 h at 15 s), medians of %s "
      "evaluations" % (data["data_series"], data["data_samples"], os.environ["BENCH_N"]))
print("  %-52s %9s %9s %9s %9s" % ("", "median", "min", "max", "samples"))
rows = []
for label, name in (("Prometheus 2.42, backfilled blocks", "prom_blocks"),
                    ("Prometheus 2.42, head (remote write)", "prom_head")):
    data = load(name)
    if not data:
        continue
    ms = [r["ms"] for r in data["runs"]]
    print("  %-52s %6.1f ms %6.1f ms %6.1f ms %9d%s" % (
        label, statistics.median(ms), min(ms), max(ms), data["runs"][-1]["samples"],
        "" if not data["failures"] else "  (%d rule failures!)" % data["failures"]))
    rows.append((label, statistics.median(ms), name))
for label, name, bench in (("codebot-exporter, SeriesStore (blocks' instants)", "ours_blocks",
                            "BM_RuleGroupOverSeriesStore"),
                           ("codebot-exporter, SeriesStore (head's instants)", "ours_head",
                            "BM_RuleGroupOverSeriesStore"),
                           ("reference: same engine over MemoryStorage", "ours_blocks",
                            "BM_RuleGroupOverMemoryStorage")):
    b = ours(name, bench)
    if not b:
        continue
    print("  %-52s %6.1f ms %6.1f ms %6.1f ms %9d" % (
        label, b["group_ms"], b["group_min_ms"], b["group_max_ms"], b["result_samples"]))
    print("  %-52s   Select %.1f ms (%d calls, %d series, %d points), engine and writes %.1f ms" % (
        "", b["select_ms"], b["selects"], b["series_read"], b["points_read"], b["engine_ms"]))
print()
pairs = (("blocks", "prom_blocks", "ours_blocks"), ("head", "prom_head", "ours_head"))
for label, prom, mine in pairs:
    p, o = load(prom), ours(mine, "BM_RuleGroupOverSeriesStore")
    if p and o:
        pm = statistics.median(r["ms"] for r in p["runs"])
        print("  ratio codebot-exporter / Prometheus (%s): %.2f  (target <= 0.50)" % (
            label, o["group_ms"] / pm))
print("  load average: %s" % open("/proc/loadavg").read().strip())
EOF
