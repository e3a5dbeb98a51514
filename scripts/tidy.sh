#!/usr/bin/env bash
# clang-tidy (the repository's .clang-tidy, warnings are errors) over the sources of exporter/ that
# a change touches: every .cc changed since BASE, uncommitted changes included, plus the .cc
# beside every changed header. BASE defaults to the last 5 commits (about what one landing
# brings; more would check most of the tree on every CI run); `all` checks every file.
#   ./scripts/tidy.sh [BASE|all]     needs build/release/compile_commands.json (configure first)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${CODEBOT_TIDY_BUILD:-build/release}
if [ ! -f "$build/compile_commands.json" ]; then
  echo "tidy: $build/compile_commands.json missing; run cmake --preset release first" >&2
  exit 2
fi

base=${1:-}
if [ "$base" = all ]; then
  files=$(git ls-files 'exporter/*.cc')
else
  if [ -z "$base" ]; then
    base=$(git rev-list --max-count=1 --skip=5 HEAD 2>/dev/null || true)
    [ -n "$base" ] || base=$(git rev-list --max-parents=0 HEAD | tail -n 1)
  fi
  changed=$( (git diff --name-only --diff-filter=d "$base" -- 'exporter/*.cc' 'exporter/*.h';
              git ls-files --others --exclude-standard 'exporter/*.cc' 'exporter/*.h') | sort -u)
  files=$(for f in $changed; do
            case "$f" in
              *.cc) echo "$f" ;;
              *.h) [ -f "${f%.h}.cc" ] && echo "${f%.h}.cc" ;;
            esac
          done | sort -u)
fi
if [ -z "$files" ]; then
  echo "tidy: no changed sources" >&2
  exit 0
fi
count=$(echo "$files" | wc -l)
echo "tidy: checking $count file(s)" >&2
echo "$files" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
