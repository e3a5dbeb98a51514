#!/usr/bin/env bash
# Resident memory of the sidecar, and what each shared library costs, in three settings:
#   idle    an empty config: no source but the sidecar's own metrics, /metrics scraped once;
#   every   every collector: the bot relay and GitHub against a tiny local HTTP server, PostgreSQL
#           against a real throwaway server, each collected every second;
#   relay   relaying 10,000 series from Python's prometheus_client (bench/python_peer.py), under
#           a few seconds of wrk on /metrics.
# For each: RSS and PSS from /proc/<pid>/smaps_rollup (anonymous vs file-backed), the thread
# count, and /proc/<pid>/smaps summed per mapped file (the sidecar, each shared library) and for
# anonymous memory (heap, malloc arenas, thread stacks), largest first.
#
# RSS counts every resident page, shared ones too; PSS divides each shared page among the
# processes that map it, so it depends on what else runs (another process with libcrypto
# mapped halves libcrypto's share). "anon" is what the process wrote itself, including the
# libraries' relocated data. Run on a quiet machine.
#
# Usage: bench/memory.sh [--settle SECONDS] [--top N] [--only idle|every|relay]
#   CODEBOT_EXPORTER   sidecar binary (default: build/release/exporter/codebot-exporter)
#   CODEBOT_PG_BIN     PostgreSQL programs (default: /usr/lib/postgresql/15/bin); without them
#                      "every" runs without the PostgreSQL source and says so
#   GNUTLS_NO_EXPLICIT_INIT  1 unless set, as in the Dockerfile and k8s/
set -euo pipefail

settle=20
top=15
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --settle) settle=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${CODEBOT_EXPORTER:-$HERE/../build/release/exporter/codebot-exporter}
PGBIN=${CODEBOT_PG_BIN:-/usr/lib/postgresql/15/bin}
PY=/usr/bin/python3
export GNUTLS_NO_EXPLICIT_INIT=${GNUTLS_NO_EXPLICIT_INIT-1}
[ -x "$BIN" ] || { echo "missing: $BIN (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }

work=$(mktemp -d /tmp/codebot-bench-XXXXXX)
chmod 777 "$work"
pids=()
postgres_started=0
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$postgres_started" = 1 ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
  for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "timeout waiting for $1" >&2
  return 1
}

# The sidecar with a config; sets $port and $pid.
start_sidecar() {
  port=$(free_port)
  "$BIN" --config.file="$1" --web.listen-address="127.0.0.1:$port" --log.level=warn \
    2>"$1.log" &
  pid=$!
  pids+=("$pid")
  wait_http "http://127.0.0.1:$port/-/healthy"
}
stop_sidecar() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# One line of totals and the per-mapping breakdown of a running process.
report() {
  local name=$1 p=$2
  local threads
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$p/status")
  awk -v name="$name" -v threads="$threads" '
    /^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 } /^Anonymous:/ { anon = $2 }
    /^Pss_Anon:/ { pss_anon = $2 } /^Pss_File:/ { pss_file = $2 }
    END {
      printf "%-7s RSS %6.1f MB (anon %5.1f, file %5.1f)   PSS %6.1f MB (anon %5.1f, file %5.1f)   %d threads\n",
             name, rss / 1024, anon / 1024, (rss - anon) / 1024, pss / 1024, pss_anon / 1024,
             pss_file / 1024, threads
    }' "/proc/$p/smaps_rollup"
  awk -v top="$top" '
    /^[0-9a-f]+-[0-9a-f]+ / {
      path = $6
      if (path == "") what = "[anon: arenas, thread stacks]"
      else if (path ~ /^\[/) what = path
      else { n = split(path, parts, "/"); what = parts[n] }
      next
    }
    /^Rss:/ { rss[what] += $2 } /^Pss:/ { pss[what] += $2 } /^Anonymous:/ { anon[what] += $2 }
    END {
      for (w in rss) if (rss[w] > 0) printf "%8d %8d %8d  %s\n", rss[w], pss[w], anon[w], w
    }' "/proc/$p/smaps" | sort -k1,1nr | awk -v top="$top" '
    BEGIN { printf "    %8s %8s %8s  %s\n", "RSS kB", "PSS kB", "anon kB", "mapping" }
    NR <= top { printf "    %s\n", $0; next }
    { rest_rss += $1; rest_pss += $2; rest_anon += $3; rest_n++ }
    END {
      if (rest_n) printf "    %8d %8d %8d  (%d more)\n", rest_rss, rest_pss, rest_anon, rest_n
    }'
}

want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
echo "# $BIN, GNUTLS_NO_EXPLICIT_INIT=$GNUTLS_NO_EXPLICIT_INIT, settled ${settle}s"

# --- idle --------------------------------------------------------------------------------------
if want idle; then
  : >"$work/idle.yml"
  start_sidecar "$work/idle.yml"
  sleep "$settle"
  curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics"
  sleep 1
  report idle "$pid"
  stop_sidecar "$pid"
fi

# --- every collector ---------------------------------------------------------------------------
if want every; then
  fake_port=$(free_port)
  mkdir "$work/fake"
  now=$(date +%s)
  cat >"$work/fake/rate_limit" <<EOF
{"resources": {
  "core": {"limit": 5000, "used": 120, "remaining": 4880, "reset": $((now + 3600))},
  "search": {"limit": 30, "used": 2, "remaining": 28, "reset": $((now + 60))},
  "graphql": {"limit": 5000, "used": 0, "remaining": 5000, "reset": $((now + 3600))}},
 "rate": {"limit": 5000, "used": 120, "remaining": 4880, "reset": $((now + 3600))}}
EOF
  {
    echo "# TYPE codebot_requests_total counter"
    for h in sync search explain status; do
      echo "codebot_requests_total{handler=\"$h\",status=\"ok\"} 1000"
      echo "codebot_requests_total{handler=\"$h\",status=\"error\"} 10"
    done
  } >"$work/fake/metrics"
  "$PY" -m http.server "$fake_port" --bind 127.0.0.1 --directory "$work/fake" >/dev/null 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$fake_port/metrics"
  cat >"$work/every.yml" <<EOF
sources:
  bot:
    url: http://127.0.0.1:$fake_port/metrics
    interval: 1s
    timeout: 1s
  github:
    api_url: http://127.0.0.1:$fake_port
    interval: 1s
    timeout: 1s
EOF
  if [ -x "$PGBIN/postgres" ]; then
    pg_port=$(free_port)
    mkdir "$work/sock" && chmod 777 "$work/sock"
    as_postgres "$PGBIN/initdb" -D "$work/data" -U postgres -E UTF8 --no-locale --no-sync \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    as_postgres "$PGBIN/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w start \
      -o "-p $pg_port -k $work/sock -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
    postgres_started=1
    password=Bench$RANDOM$RANDOM$RANDOM
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$work/sock" -p "$pg_port" -U postgres -d postgres \
      -c "CREATE ROLE sidecar LOGIN PASSWORD '$password' IN ROLE pg_monitor" \
      -c "CREATE DATABASE codebot OWNER sidecar" >/dev/null
    cat >>"$work/every.yml" <<EOF
  postgres:
    dsn: postgresql://sidecar:$password@127.0.0.1:$pg_port/codebot?sslmode=disable
    interval: 1s
    timeout: 1s
EOF
    sources="bot + github + postgres"
  else
    sources="bot + github (no PostgreSQL at $PGBIN)"
  fi
  start_sidecar "$work/every.yml"
  sleep "$settle"
  curl -fsS "http://127.0.0.1:$port/metrics" >"$work/every.metrics"
  sleep 1
  report every "$pid"
  echo "    ($sources; $(grep '^codebot_exporter_source_up' "$work/every.metrics" | tr '\n' ' '))"
  stop_sidecar "$pid"
fi

# --- relaying 10,000 series --------------------------------------------------------------------
if want relay; then
  peer_port=$(free_port)
  "$PY" "$HERE/python_peer.py" serve --port "$peer_port" --series 10000 >/dev/null 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$peer_port/metrics"
  cat >"$work/relay.yml" <<EOF
sources:
  bot:
    url: http://127.0.0.1:$peer_port/metrics
    interval: 15s
    timeout: 10s
EOF
  start_sidecar "$work/relay.yml"
  for _ in $(seq 1 100); do
    curl -s "http://127.0.0.1:$port/metrics" | grep -q '^codebot_exporter_source_up{source="bot"} 1' &&
      break
    sleep 0.1
  done
  if command -v wrk >/dev/null; then
    wrk -t2 -c8 -d5s "http://127.0.0.1:$port/metrics" >/dev/null
  else
    for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
  fi
  sleep "$settle"
  curl -fsS "http://127.0.0.1:$port/metrics" >"$work/relay.metrics"
  sleep 1
  report relay "$pid"
  echo "    ($(awk '/^codebot_exporter_source_samples\{source="bot"\}/ { print $2 }' "$work/relay.metrics") series" \
       "relayed; peak RSS $(awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status"))"
  stop_sidecar "$pid"
fi
