#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then builds and runs every test
# twice, optimised and under AddressSanitizer + UndefinedBehaviorSanitizer.
#   ./scripts/test.sh            both builds
#   ./scripts/test.sh release    only the optimised build
#   ./scripts/test.sh asan       only the sanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(release asan)
fi

# The shared reference data sits beside the repository (../shared); tests read it from there.
if [ -z "${CODEBOT_SHARED_DIR:-}" ] && [ ! -d ../shared ]; then
  echo "warning: ../shared not found; conformance tests that need it will fail" >&2
fi

status=0
for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "=== ${preset}: tests" >&2
  if ! ctest --preset "$preset"; then
    status=1
  fi
done

echo "=== format check (.clang-format)" >&2
if ! git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror; then
  echo "clang-format: files above need formatting (run clang-format -i on them)" >&2
  status=1
fi
exit $status
