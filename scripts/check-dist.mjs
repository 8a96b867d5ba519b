// Rebuilds every action's dist/ into a temp folder and compares it byte for byte with the committed one:
// a pushed action runs its dist/, so a dist that does not match its source is a silent bug.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const actions = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
const stale = []
for (const action of actions) {
  const dir = join(root, 'actions', action)
  const fresh = mkdtempSync(join(tmpdir(), `dist-${action}-`))
  execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs'), 'action', '--outdir', fresh], {
    cwd: dir,
    stdio: 'ignore',
  })
  const committed = join(dir, 'dist')
  const names = new Set([...readdirSync(fresh), ...(existsSync(committed) ? readdirSync(committed) : [])])
  for (const name of names) {
    const a = join(fresh, name)
    const b = join(committed, name)
    if (!existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b)))
      stale.push(`actions/${action}/dist/${name}`)
  }
}
if (stale.length > 0) {
  console.error(
    `check-dist: these files do not match a fresh build (run \`pnpm bundle\` and commit):\n  ${stale.join('\n  ')}`,
  )
  process.exit(1)
}
console.log(`check-dist: ${actions.length} action dist folders match their sources`)
