#!/usr/bin/env bash
# Builds the libFuzzer targets (preset fuzz: clang, ASan + UBSan) and runs each for a fixed time
# on a seed corpus assembled from the repository (fuzz/corpus.py) plus whatever earlier runs
# found (build/fuzz/corpus/<target>, kept between runs). Fails on the first crash, leak,
# sanitizer report, timeout or out-of-memory; the input that did it is kept under
# build/fuzz/artifacts/ with the command that replays it.
#   ./scripts/fuzz.sh                      every target for 20 s (what CI runs)
#   ./scripts/fuzz.sh --long 600           every target for 600 s
#   ./scripts/fuzz.sh --time 60 promql     only the named targets
#   ./scripts/fuzz.sh --no-build ...       reuse build/fuzz as it is
# Targets: expfmt json_mapper webhook_payload config duration series_notation promql template
#          rule_file rule_tests
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=20
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --long | --time)
      seconds=$2
      shift 2
      ;;
    --no-build)
      build=0
      shift
      ;;
    -h | --help)
      sed -n '2,13p' "$0"
      exit 0
      ;;
    *)
      targets+=("$1")
      shift
      ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(expfmt json_mapper webhook_payload config duration series_notation promql template
           rule_file rule_tests)
fi

# libFuzzer's runtime is only a Recommends of clang on Debian 12.
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: libFuzzer's runtime is missing; installing libclang-rt-14-dev" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends libclang-rt-14-dev ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends libclang-rt-14-dev; }
fi

if [ "$build" = 1 ]; then
  echo "=== fuzz: configure and build" >&2
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
fi

out=build/fuzz
shared=${CODEBOT_SHARED_DIR:-../shared}
rm -rf "$out/seeds"
python3 fuzz/corpus.py "$out/seeds" "$shared"
mkdir -p "$out/artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Sanitizer frames are several times larger than release ones: at the parsers' nesting limits
# (1000 levels, about 1 MiB of stack in a release build) an ASan build needs more than the
# default 8 MiB. A larger stack keeps those legitimate depths from reading as crashes; unbounded
# recursion still overflows it.
ulimit -s 262144 2>/dev/null || ulimit -s unlimited 2>/dev/null || true

status=0
for target in "${targets[@]}"; do
  binary="$out/fuzz/fuzz_$target"
  if [ ! -x "$binary" ]; then
    echo "fuzz: no such target: $target ($binary)" >&2
    status=1
    continue
  fi
  mkdir -p "$out/corpus/$target" "$out/seeds/$target"
  args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -malloc_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-")
  case "$target" in
    promql | series_notation) dict=fuzz/promql.dict ;;
    template) dict=fuzz/template.dict ;;
    config | rule_file | rule_tests) dict=fuzz/yaml.dict ;;
    json_mapper | webhook_payload) dict=fuzz/json.dict ;;
    *) dict= ;;
  esac
  if [ -n "$dict" ]; then
    args+=(-dict="$dict")
  fi
  echo "=== fuzz: $target for ${seconds}s" >&2
  log="$out/artifacts/$target.log"
  # New inputs go to the first folder (kept between runs); the seeds are only read.
  if "$binary" "${args[@]}" "$out/corpus/$target" "$out/seeds/$target" >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' "$log" >&2 || true
  else
    status=1
    tail -n 60 "$log" >&2
    artifact=$(grep -o "Test unit written to .*" "$log" | tail -n 1 | sed 's/Test unit written to //')
    echo "fuzz: $target FAILED (log: $log)" >&2
    if [ -n "$artifact" ]; then
      echo "fuzz: replay with: $binary $artifact" >&2
    fi
  fi
done
exit $status
