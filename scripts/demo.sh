#!/usr/bin/env bash
# The main job: the whole pipeline (examples/readmission/pipeline.yml) on the embedded example, through each
# action's committed dist/, as `mlops pipeline`. Extra arguments go to `mlops pipeline` (e.g. --verbose).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
bash scripts/examples.sh
bash scripts/tools/helm.sh
pnpm -s --filter @mlops/cli run build >/dev/null
node serve/build.mjs >/dev/null
node packages/cli/dist/mlops.js pipeline examples/readmission/pipeline.yml "$@"
