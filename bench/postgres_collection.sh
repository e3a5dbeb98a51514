#!/usr/bin/env bash
# One PostgreSQL collection, side by side: codebot-exporter's postgres source and Debian's
# prometheus-postgres-exporter against the same throwaway PostgreSQL, in one run.
#   - wall time of a collection (the sidecar's own scrape_duration gauge; postgres_exporter's
#     pg_exporter_last_scrape_duration_seconds and the wall time of the /metrics request that
#     triggers its collection), over N collections each;
#   - statements per collection, counted by pg_stat_statements for each exporter's role, and
#     sessions opened (log_connections);
#   - which series both produce, and whether they agree;
#   - resident memory of the sidecar with every source enabled (bot relay, GitHub against a local
#     fake, PostgreSQL), after it has run for a while.
# Usage: bench/postgres_collection.sh [N]
#   CODEBOT_EXPORTER  sidecar binary (default: build/release/exporter/codebot-exporter)
#   CODEBOT_PG_BIN    PostgreSQL programs (default: /usr/lib/postgresql/15/bin)
#   POSTGRES_EXPORTER (default: /usr/bin/prometheus-postgres-exporter)
# Runs as root (drops to the postgres user for the server) or as any user that can run postgres.
set -euo pipefail

N=${1:-50}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${CODEBOT_EXPORTER:-$HERE/../build/release/exporter/codebot-exporter}
PGBIN=${CODEBOT_PG_BIN:-/usr/lib/postgresql/15/bin}
PGEXP=${POSTGRES_EXPORTER:-/usr/bin/prometheus-postgres-exporter}
PY=/usr/bin/python3

for program in "$BIN" "$PGBIN/postgres" "$PGEXP" "$PY"; do
  [ -x "$program" ] || { echo "missing: $program" >&2; exit 2; }
done

work=$(mktemp -d /tmp/codebot-bench-XXXXXX)
chmod 777 "$work"
pids=()
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_postgres "$PGBIN/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the server --------------------------------------------------------------------------------
pg_port=$(free_port)
mkdir "$work/sock" && chmod 777 "$work/sock"
as_postgres "$PGBIN/initdb" -D "$work/data" -U postgres -E UTF8 --no-locale --no-sync \
  --auth-local=trust --auth-host=scram-sha-256 >/dev/null
# pg_ctl hands -o to a shell: one line.
pg_options="-p $pg_port -k $work/sock -c listen_addresses=127.0.0.1 -c fsync=off"
pg_options+=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
pg_options+=" -c pg_stat_statements.track_utility=on -c log_connections=on"
as_postgres "$PGBIN/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w start -o "$pg_options" \
  >/dev/null
psql() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$work/sock" -p "$pg_port" -U postgres "$@"; }
password=Bench$RANDOM$RANDOM$RANDOM
psql -d postgres -c "CREATE EXTENSION pg_stat_statements" \
  -c "CREATE ROLE sidecar LOGIN PASSWORD '$password' IN ROLE pg_monitor" \
  -c "CREATE ROLE pgexp LOGIN PASSWORD '$password' IN ROLE pg_monitor" \
  -c "CREATE DATABASE codebot OWNER sidecar"
# A bot-like database: the requests table and some rows, so sizes and stats are not all zero.
psql -d codebot -c "CREATE TABLE metrics (id serial PRIMARY KEY, operation text NOT NULL,
                      status text NOT NULL, value float NOT NULL, ts timestamp DEFAULT now())" \
  -c "INSERT INTO metrics (operation, status, value)
      SELECT (ARRAY['sync','search','explain'])[1 + g % 3], (ARRAY['ok','ok','ok','error'])[1 + g % 4],
             random() * 500 FROM generate_series(1, 20000) g" \
  -c "ALTER TABLE metrics OWNER TO sidecar"

# --- the two exporters -------------------------------------------------------------------------
side_port=$(free_port)
cat >"$work/sidecar.yml" <<EOF
sources:
  postgres:
    dsn: postgresql://sidecar:$password@127.0.0.1:$pg_port/codebot?sslmode=disable
    interval: 250ms
    timeout: 250ms
EOF
"$BIN" --config.file="$work/sidecar.yml" --web.listen-address="127.0.0.1:$side_port" \
  --log.level=warn 2>"$work/sidecar.log" &
pids+=($!)
side_pid=$!

pe_port=$(free_port)
DATA_SOURCE_NAME="postgresql://pgexp:$password@127.0.0.1:$pg_port/postgres?sslmode=disable" \
  "$PGEXP" --web.listen-address="127.0.0.1:$pe_port" --log.level=warn 2>"$work/pgexp.log" &
pids+=($!)
pe_pid=$!

export BENCH_N=$N BENCH_SIDE="http://127.0.0.1:$side_port" BENCH_PE="http://127.0.0.1:$pe_port"
export BENCH_PSQL="$PGBIN/psql -X -q -A -t -h $work/sock -p $pg_port -U postgres -d postgres"
export BENCH_PGLOG="$work/postgres.log"
"$PY" - <<'EOF'
import os, re, statistics, subprocess, time, urllib.request

N = int(os.environ["BENCH_N"])
SIDE, PE = os.environ["BENCH_SIDE"], os.environ["BENCH_PE"]

def get(url, timeout=10):
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body = response.read().decode()
    return body, time.perf_counter() - start

def psql(sql):
    return subprocess.run(os.environ["BENCH_PSQL"].split() + ["-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

def series(text, drop=("server",)):
    out = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m or line.startswith("#"):
            continue
        labels = tuple(sorted((k, v) for k, v in LABEL.findall(m.group(3) or "") if k not in drop))
        out[(m.group(1), labels)] = float(m.group(4))
    return out

def value(text, name):
    for (n, labels), v in series(text).items():
        if n == name and not labels:
            return v
    return None

def wait(cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if cond():
                return True
        except Exception:
            pass
        time.sleep(0.05)
    raise SystemExit("timed out waiting")

def stats(xs):
    xs = sorted(xs)
    return "mean %.2f ms, p50 %.2f ms, p90 %.2f ms, max %.2f ms" % (
        1000 * statistics.mean(xs), 1000 * xs[len(xs) // 2], 1000 * xs[int(len(xs) * 0.9)],
        1000 * xs[-1])

def connections(role):
    with open(os.environ["BENCH_PGLOG"]) as log:
        return sum(1 for line in log if "connection authorized: user=" + role + " " in line)

# Both up and connected before counting.
wait(lambda: value(get(SIDE + "/metrics")[0], "pg_up") == 1)
wait(lambda: value(get(PE + "/metrics")[0], "pg_up") == 1)

# --- sidecar: N collections on its own schedule ------------------------------------------------
psql("SELECT pg_stat_statements_reset()")
side_conn0 = connections("sidecar")
durations, seen = [], None
while len(durations) < N:
    text = get(SIDE + "/metrics")[0]
    s = series(text)
    count = s.get(("codebot_exporter_source_scrapes_total", (("source", "postgres"),)))
    if count != seen:
        if seen is not None:
            durations.append(s[("codebot_exporter_source_scrape_duration_seconds",
                                (("source", "postgres"),))])
        seen = count
    time.sleep(0.02)
side_scrape = [get(SIDE + "/metrics")[1] for _ in range(N)]
side_calls = psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                  "WHERE userid = 'sidecar'::regrole")
# Every collection runs the built-in statement exactly once: it counts the collections.
side_collections = psql("SELECT max(calls) FROM pg_stat_statements "
                        "WHERE userid = 'sidecar'::regrole AND query LIKE '%pg_stat_activity%'")
side_conn = connections("sidecar") - side_conn0

# --- postgres_exporter: N scrapes, each one collection ------------------------------------------
psql("SELECT pg_stat_statements_reset()")
pe_conn0 = connections("pgexp")
pe_wall, pe_internal = [], []
for _ in range(N):
    text, seconds = get(PE + "/metrics")
    pe_wall.append(seconds)
    pe_internal.append(value(text, "pg_exporter_last_scrape_duration_seconds"))
pe_calls = psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                "WHERE userid = 'pgexp'::regrole")
pe_conn = connections("pgexp") - pe_conn0

print("PostgreSQL collection, %d collections each (PostgreSQL %s)" % (
    N, psql("SHOW server_version")))
print("  codebot-exporter   collection  %s" % stats(durations))
print("                     statements  %.2f per collection (%s in %s collections; one is the "
      "statement_timeout of each query, sent in the same round trip)" % (
          int(side_calls) / int(side_collections), side_calls, side_collections))
print("                     sessions    %d opened during the run" % side_conn)
print("                     /metrics    %s (cached text, no database work)" % stats(side_scrape))
print("  postgres_exporter  collection  %s (pg_exporter_last_scrape_duration_seconds)" %
      stats(pe_internal))
print("                     /metrics    %s (the request that runs the collection)" % stats(pe_wall))
print("                     statements  %.2f per collection (%s in %d)" % (
    int(pe_calls) / N, pe_calls, N))
print("                     sessions    %d opened during the run" % pe_conn)

side, pe = series(get(SIDE + "/metrics")[0]), series(get(PE + "/metrics")[0])
# PostgreSQL series only: both also expose process_* about themselves.
side = {k: v for k, v in side.items() if not k[0].startswith("process_")}
common_names = sorted({n for n, _ in side} & {n for n, _ in pe})
common = [k for k in side if k in pe]
print("  series both produce: %d, in %d families: %s" % (
    len(common), len(common_names), " ".join(common_names)))
for name in ("pg_settings_max_connections", "pg_up"):
    print("    %s: sidecar %s, postgres_exporter %s" % (
        name, value(get(SIDE + "/metrics")[0], name), value(get(PE + "/metrics")[0], name)))
EOF

# --- resident memory with every source enabled -------------------------------------------------
gh_port=$(free_port)
mkdir "$work/github"
now=$(date +%s)
cat >"$work/github/rate_limit" <<EOF
{"resources": {
  "core": {"limit": 5000, "used": 120, "remaining": 4880, "reset": $((now + 3600))},
  "search": {"limit": 30, "used": 2, "remaining": 28, "reset": $((now + 60))},
  "graphql": {"limit": 5000, "used": 0, "remaining": 5000, "reset": $((now + 3600))},
  "code_search": {"limit": 10, "used": 0, "remaining": 10, "reset": $((now + 60))}},
 "rate": {"limit": 5000, "used": 120, "remaining": 4880, "reset": $((now + 3600))}}
EOF
# The bot's endpoint: Prometheus text with request counters and latency histograms by handler.
"$PY" - "$work/github/metrics" <<'EOF'
import sys
lines = ["# HELP codebot_requests_total Requests handled.", "# TYPE codebot_requests_total counter"]
handlers = ["sync", "search", "explain", "status", "health", "errors", "latency", "triage"]
for h in handlers:
    for status in ("ok", "error"):
        lines.append('codebot_requests_total{handler="%s",status="%s"} %d' % (h, status, 1000))
lines += ["# HELP codebot_request_duration_seconds Request latency.",
          "# TYPE codebot_request_duration_seconds histogram"]
for h in handlers:
    for le in ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"):
        lines.append('codebot_request_duration_seconds_bucket{handler="%s",le="%s"} 100' % (h, le))
    lines.append('codebot_request_duration_seconds_sum{handler="%s"} 12.5' % h)
    lines.append('codebot_request_duration_seconds_count{handler="%s"} 100' % h)
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
"$PY" -m http.server "$gh_port" --bind 127.0.0.1 --directory "$work/github" \
  >/dev/null 2>&1 &
pids+=($!)
all_port=$(free_port)
cat >"$work/all.yml" <<EOF
sources:
  bot:
    url: http://127.0.0.1:$gh_port/metrics
    interval: 1s
    timeout: 1s
  github:
    api_url: http://127.0.0.1:$gh_port
    interval: 1s
    timeout: 1s
  postgres:
    dsn: postgresql://sidecar:$password@127.0.0.1:$pg_port/codebot?sslmode=disable
    interval: 1s
    timeout: 1s
    queries:
      - name: codebot_requests
        sql: SELECT operation, status, count(*) AS total, avg(value) AS latency_ms_avg
               FROM metrics GROUP BY operation, status
        columns: {operation: label, status: label, total: counter, latency_ms_avg: gauge}
EOF
"$BIN" --config.file="$work/all.yml" --web.listen-address="127.0.0.1:$all_port" \
  --log.level=warn 2>"$work/all.log" &
pids+=($!)
all_pid=$!
# The same binary with no source at all: what the process and its shared libraries cost alone.
none_port=$(free_port)
echo "sources: {}" >"$work/none.yml"
"$BIN" --config.file="$work/none.yml" --web.listen-address="127.0.0.1:$none_port" \
  --log.level=warn 2>"$work/none.log" &
pids+=($!)
none_pid=$!
sleep 20
curl -fsS "http://127.0.0.1:$all_port/metrics" >"$work/all.metrics"
# VmRSS counts every resident page, including shared libraries' code that other processes share;
# RssAnon is what the process allocated itself; Pss splits shared pages among their users.
memory() {
  local rss anon file hwm pss
  rss=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status")
  anon=$(awk '$1 == "RssAnon:" {print $2}' "/proc/$1/status")
  file=$(awk '$1 == "RssFile:" {print $2}' "/proc/$1/status")
  hwm=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$1/status")
  pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup")
  printf 'VmRSS %6d kB (anon %5d, file %5d), peak %6d kB, Pss %6d kB' \
    "$rss" "$anon" "$file" "$hwm" "$pss"
}
echo "Resident memory after 20 s at 1 s intervals"
echo "  codebot-exporter, bot + github + postgres: $(memory $all_pid)"
echo "  codebot-exporter, postgres only:           $(memory $side_pid)"
echo "  codebot-exporter, no source:               $(memory $none_pid)"
echo "  prometheus-postgres-exporter:              $(memory $pe_pid)"
echo "  (all sources: $(grep -c '^[a-z]' "$work/all.metrics") series on /metrics;" \
     "$(grep '^codebot_exporter_source_up' "$work/all.metrics" | tr '\n' ' '))"
