#!/usr/bin/env bash
# Installs everything the project needs on a machine that has only Node and npm:
# Node 24 (the actions' runtime) and pnpm into .tools/, then the workspace's packages.
# Idempotent and quiet when there is nothing to do; source it to get the PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_version="$(cat "$root/.node-version")"
pnpm_version="$(node -p "require('$root/package.json').packageManager.split('@')[1]")"
tools="$root/.tools"
export PATH="$tools/node_modules/.bin:$PATH"
export ORT_DISABLE_TELEMETRY=1 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
if [ "$(node --version 2>/dev/null)" != "v$node_version" ] || [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
  echo "setup: installing Node $node_version and pnpm $pnpm_version into .tools/"
  mkdir -p "$tools"
  npm install --silent --no-save --no-audit --no-fund --prefix "$tools" "node@$node_version" "pnpm@$pnpm_version" >/dev/null
fi
cd "$root"
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  echo "setup: installing workspace packages"
  pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
fi
