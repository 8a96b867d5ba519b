#!/usr/bin/env bash
# Generates the embedded example data if missing, and verifies it byte for byte against the committed checksums.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=examples/readmission
if ! (cd "$dir" && sha256sum --quiet --check SHA256SUMS >/dev/null 2>&1); then
  pnpm -s --filter @mlops/examples run generate >/dev/null
  (cd "$dir" && sha256sum --quiet --check SHA256SUMS) || { echo "examples: generated data differs from $dir/SHA256SUMS" >&2; exit 1; }
fi
echo "examples: $dir/data matches SHA256SUMS"
