#!/usr/bin/env bash
# Regenerates the files under k8s/ that are made from the repository's rules/:
#   components/sidecar/rules/alerts.yml, playbooks.yml   copies, for the sidecar's ConfigMap
#   components/prometheus-operator/prometheusrule.yaml   rules/alerts.yml as a PrometheusRule
# kustomize reads no file from outside a kustomization's folder (and `kubectl apply -k` cannot
# lift that), so the copies live beside the kustomizations and this script keeps them in step.
#
#   k8s/sync-rules.sh           rewrite them after editing rules/
#   k8s/sync-rules.sh --check   change nothing; exit 1 with a diff when they are out of date
#                               (tests/k8s/validate.sh runs this)
#
# Needs bash, sed and diff only. The PrometheusRule is rules/alerts.yml indented under `spec:`,
# text for text: the file's only top-level key is `groups`, so spec.groups is its groups, comments
# and all (validate.sh parses both and checks they are equal).
set -euo pipefail

k8s_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$k8s_dir/.." && pwd)

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# name of the generated file (relative to k8s/) -> its source (relative to the repository)
copies=(
  "components/sidecar/rules/alerts.yml=rules/alerts.yml"
  "components/sidecar/rules/playbooks.yml=rules/playbooks.yml"
)
prometheus_rule=components/prometheus-operator/prometheusrule.yaml

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

header() {
  printf '# GENERATED from %s by k8s/sync-rules.sh: edit that file, then run the script.\n' "$1"
}

missing=0
for entry in "${copies[@]}"; do
  target=${entry%%=*}
  source=${entry#*=}
  if [ ! -f "$repo_dir/$source" ]; then
    echo "sync-rules: $source does not exist (k8s/$target is generated from it)" >&2
    missing=1
    continue
  fi
  mkdir -p "$out/$(dirname "$target")"
  { header "$source"; cat "$repo_dir/$source"; } >"$out/$target"
done

alerts="$repo_dir/rules/alerts.yml"
if [ -f "$alerts" ]; then
  # Indenting is only faithful for one block-style document whose top level is `groups:`.
  if grep -nE '^(---|\.\.\.|%)' "$alerts" >&2; then
    echo "sync-rules: rules/alerts.yml must be a single YAML document without markers or directives" >&2
    exit 1
  fi
  if grep -nE '^[^#[:space:]]' "$alerts" | grep -vE '^[0-9]+:groups:[[:space:]]*$' >&2; then
    echo "sync-rules: rules/alerts.yml must have \`groups:\` as its only top-level key" >&2
    exit 1
  fi
  mkdir -p "$out/$(dirname "$prometheus_rule")"
  {
    header rules/alerts.yml
    cat <<'EOF'
# The rule groups the sidecar loads, for a Prometheus run by the Prometheus Operator: add the
# labels its ruleSelector wants (kube-prometheus-stack: release: <its release name>).
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: codebot-exporter
  labels:
    app.kubernetes.io/name: codebot-exporter
spec:
EOF
    sed -e 's/^\(.\)/  \1/' "$alerts"
  } >"$out/$prometheus_rule"
fi

status=0
while IFS= read -r -d '' generated; do
  rel=${generated#"$out/"}
  if [ "$mode" = check ]; then
    if ! diff -u "$k8s_dir/$rel" "$generated" >&2; then
      echo "sync-rules: k8s/$rel is out of date: run k8s/sync-rules.sh" >&2
      status=1
    fi
  elif ! cmp -s "$generated" "$k8s_dir/$rel"; then
    mkdir -p "$(dirname "$k8s_dir/$rel")"
    cp "$generated" "$k8s_dir/$rel"
    echo "sync-rules: wrote k8s/$rel"
  fi
done < <(find "$out" -type f -print0 | sort -z)

if [ "$missing" -ne 0 ]; then
  exit 1
fi
exit "$status"
