#!/usr/bin/env bash
# Validates k8s/: renders every kustomization with `kubectl kustomize`, validates every object
# against the Kubernetes OpenAPI schemas and the Prometheus Operator CRD schemas, rejects fields
# no schema knows, checks the sidecar's security settings, probes, resources and volumes, and
# checks that the copies of rules/ and the PrometheusRule under k8s/ are in step with rules/.
#
#   tests/k8s/validate.sh
#
# Needs kubectl (its built-in kustomize, v4 or later for Components), Node.js 20+ and npm. The
# validator is installed from the npm registry on first use, at the versions of
# tests/k8s/package-lock.json, into ${CODEBOT_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codebot-k8s-validate}
# (about 60 MB; later runs reuse it and need no network). CODEBOT_EXPORTER_BIN=path/to/binary
# also runs `codebot-exporter check config` on the config as the pod sees it.
# Exit status: 0 when everything passes, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

fail() {
  echo "validate.sh: $*" >&2
  exit 1
}

command -v kubectl >/dev/null || fail "kubectl is not installed (it renders the kustomizations)"
command -v node >/dev/null || fail "node is not installed"
command -v npm >/dev/null || fail "npm is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node.js 20 or later is needed, found $(node --version)"
# Components need the kustomize of kubectl 1.21+ (v4); Debian 12's kubernetes-client is 1.20.
versions=$(kubectl version --client -o json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    try { const v = JSON.parse(s); console.log(`${v.clientVersion.gitVersion} ${v.kustomizeVersion ?? "v0"}`); }
    catch { console.log("? v0"); } });')
kustomize_version=${versions#* }
kustomize_major=${kustomize_version#v}
kustomize_major=${kustomize_major%%.*}
[ "${kustomize_major:-0}" -ge 4 ] 2>/dev/null ||
  fail "kubectl ${versions% *} embeds kustomize ${kustomize_version}: v4 or later (kubectl 1.21+) is needed for Components"

# 1. The generated files under k8s/ are those rules/ gives today.
# (validate.mjs reports the outcome with its own checks.)
echo "== k8s/sync-rules.sh --check"
sync_ok=1
"$repo/k8s/sync-rules.sh" --check || sync_ok=0

# 2. The validator, installed once per version of the lock file.
cache=${CODEBOT_K8S_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/codebot-k8s-validate}
lock_hash=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
install_dir="$cache/$lock_hash"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # one install at a time (ctest -j); later runs only read
if [ ! -f "$install_dir/.installed" ]; then
  echo "== installing the validator into $install_dir (npm ci)"
  rm -rf "$install_dir"
  mkdir -p "$install_dir"
  cp "$here/package.json" "$here/package-lock.json" "$install_dir/"
  # kubernetes-models 5 declares Node >= 22 but runs on 20: engine-strict stays off.
  if ! (cd "$install_dir" && npm ci --no-audit --no-fund --engine-strict=false --loglevel=error \
          --fetch-retries=2 --fetch-timeout=60000 </dev/null >"$install_dir/npm.log" 2>&1); then
    cat "$install_dir/npm.log" >&2
    rm -rf "$install_dir"
    fail "could not install the validator from the npm registry (npm ci in tests/k8s failed, see above):" \
         "is the registry reachable from here?"
  fi
  touch "$install_dir/.installed"
  # Installs of earlier lock files are dead weight now.
  find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$lock_hash" -exec rm -rf {} +
fi
flock -u 9

# 3. Render, validate, check.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/validate.mjs" "$install_dir/validate.mjs"   # beside its node_modules
echo "== node validate.mjs (kubectl ${versions% *}, kustomize $kustomize_version)"
node "$install_dir/validate.mjs" --repo "$repo" --work "$work" --sync-ok "$sync_ok"
