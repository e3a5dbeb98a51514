#!/usr/bin/env bash
# Installs the Debian 12 packages codebot-exporter needs to build, run, test and benchmark.
# Does nothing when they are all present; otherwise runs apt-get update first.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config clang-format clang-tidy clang
  prometheus-cpp-dev libyaml-cpp-dev libcurl4-openssl-dev libpqxx-dev zlib1g-dev
  libspdlog-dev nlohmann-json3-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev
  # the real peers the tests and the demo start
  prometheus prometheus-alertmanager postgresql prometheus-postgres-exporter
  # benchmarks and the demo bot
  wrk hyperfine python3 python3-prometheus-client python3-aiohttp
  # misc tools the scripts use
  curl ca-certificates procps git
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The manifests' test (tests/k8s/validate.sh) also needs kubectl 1.21+ and Node.js 20+ with npm.
# Debian 12's own kubernetes-client (1.20) and nodejs (18) are too old for it, so neither is in the
# list above. kubectl is installed when an apt source offers a package of that name (the
# Kubernetes project's repository does); otherwise it and Node.js are the machine's, and
# validate.sh names what is missing.
if ! command -v kubectl >/dev/null && apt-cache show kubectl >/dev/null 2>&1; then
  missing+=(kubectl)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# Debian starts the packaged servers as services where it can; the tests and the demo start
# their own copies on other ports, so the packaged ones are harmless either way.
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
