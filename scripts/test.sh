#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then builds and runs every test
# optimised and under AddressSanitizer + UndefinedBehaviorSanitizer, the tests that exercise
# threads under ThreadSanitizer, every fuzz target for 20 s (scripts/fuzz.sh), clang-tidy on the
# changed sources and the format check.
#   ./scripts/test.sh                 everything
#   ./scripts/test.sh release asan    only those builds (release, asan, tsan, fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(release asan tsan fuzz)
fi

# The shared reference data sits beside the repository (../shared); tests read it from there.
if [ -z "${CODEBOT_SHARED_DIR:-}" ] && [ ! -d ../shared ]; then
  echo "warning: ../shared not found; conformance tests that need it will fail" >&2
fi

status=0
for preset in "${presets[@]}"; do
  if [ "$preset" = fuzz ]; then
    # Every libFuzzer target for a short fixed time on the repository's seeds (scripts/fuzz.sh
    # builds the fuzz preset: clang, ASan + UBSan); any crash fails the run, CI included.
    echo "=== fuzz: every parser of outside input, 20 s each" >&2
    if ! ./scripts/fuzz.sh --time 20; then
      status=1
    fi
    continue
  fi
  echo "=== ${preset}: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "=== ${preset}: tests" >&2
  if ! ctest --preset "$preset"; then
    status=1
  fi
  if [ "$preset" = release ]; then
    echo "=== clang-tidy on the changed sources (.clang-tidy)" >&2
    if ! ./scripts/tidy.sh; then
      status=1
    fi
  fi
done

echo "=== format check (.clang-format)" >&2
if ! git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror; then
  echo "clang-format: files above need formatting (run clang-format -i on them)" >&2
  status=1
fi
exit $status
