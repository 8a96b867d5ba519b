#!/usr/bin/env node
// The `mlops` command. The bundle is built, not committed, so say how to get it instead of a module error.
import { existsSync } from 'node:fs'

const bundle = new URL('../dist/mlops.js', import.meta.url)
if (!existsSync(bundle)) {
  console.error(
    'mlops: not built yet; run `pnpm --filter @mlops/cli build` (or `npm run demo`, which builds it)',
  )
  process.exit(2)
}
await import(bundle.href)
