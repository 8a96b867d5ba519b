#!/usr/bin/env bash
# Generates the embedded example data if missing, and verifies it byte for byte against the committed checksums.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=examples/readmission/data
verify() { mkdir -p "$data" && (cd "$data" && sha256sum --quiet --check ../SHA256SUMS >/dev/null 2>&1); }
if ! verify; then
  pnpm -s --filter @mlops/examples run generate >/dev/null
  verify || { echo "examples: generated data differs from examples/readmission/SHA256SUMS" >&2; exit 1; }
fi
echo "examples: $data matches SHA256SUMS"
