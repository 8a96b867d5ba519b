#!/usr/bin/env bash
# The one command that runs every check: install, typecheck, lint, docs and dist in sync with their sources,
# action.yml and workflows validated, then every jest test with a plain `N passed, N failed` line at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
step() { printf '\n== %s\n' "$*"; }
step "example data";     bash scripts/examples.sh
step "reference tools";  bash scripts/apt-deps.sh python3-scipy python3-numpy python3-onnx python3-sklearn python3-pandas
step "service tools";    for f in scripts/tools/*.sh; do if [ -e "$f" ]; then bash "$f"; fi; done
step "typecheck";        pnpm -s turbo run typecheck --output-logs=errors-only && pnpm -s exec tsc -p tests/tsconfig.json
step "lint";             pnpm -s lint
step "action docs";      node scripts/action-docs.mjs --check && node scripts/terraform-docs.mjs --check
step "check dist";       node scripts/check-dist.mjs
step "validate actions and workflows"; node scripts/validate-workflows.mjs
step "tests"
mkdir -p .cache
status=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --json --outputFile=.cache/jest-results.json "$@" || status=$?
node scripts/jest-summary.mjs .cache/jest-results.json
exit $status
