#!/usr/bin/env bash
# The main job on the embedded example. For now the pipeline is data-qa; later stages join it here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
bash scripts/examples.sh
pnpm -s --filter @mlops/cli run build >/dev/null
node packages/cli/dist/mlops.js run data-qa \
  --input dataset=examples/readmission/data/reference.csv \
  --input test-dataset=examples/readmission/data/current.csv \
  --input expectations=examples/readmission/expectations.yml \
  --input label-column=readmitted_30d \
  --input report-dir=reports/data-qa "$@"
echo "HTML report: reports/data-qa/report.html"
