// Keeps each action's README inputs/outputs tables in sync with its action.yml.
// `node scripts/action-docs.mjs` rewrites the tables between the markers; `--check` fails if any is stale.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

const root = new URL('..', import.meta.url).pathname
const check = process.argv.includes('--check')
const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, ' ')
    .trim()

export function renderTables(manifest) {
  const inputs = Object.entries(manifest.inputs ?? {}).map(
    ([name, spec]) =>
      `| \`${name}\` | ${spec.required ? 'yes' : 'no'} | ${spec.default === undefined ? '' : `\`${cell(spec.default)}\``} | ${cell(spec.description)} |`,
  )
  const outputs = Object.entries(manifest.outputs ?? {}).map(
    ([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`,
  )
  return [
    '### Inputs',
    '',
    '| name | required | default | description |',
    '|---|---|---|---|',
    ...inputs,
    '',
    '### Outputs',
    '',
    '| name | description |',
    '|---|---|',
    ...outputs,
  ].join('\n')
}

const BEGIN = '<!-- action-docs:begin (generated from action.yml by scripts/action-docs.mjs) -->'
const END = '<!-- action-docs:end -->'
const problems = []
for (const entry of readdirSync(join(root, 'actions'), { withFileTypes: true })) {
  if (!entry.isDirectory()) continue
  const dir = join(root, 'actions', entry.name)
  const readmePath = join(dir, 'README.md')
  const manifest = parse(readFileSync(join(dir, 'action.yml'), 'utf8'))
  if (!existsSync(readmePath)) {
    problems.push(`actions/${entry.name}/README.md is missing`)
    continue
  }
  const readme = readFileSync(readmePath, 'utf8')
  const start = readme.indexOf(BEGIN)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) {
    problems.push(`actions/${entry.name}/README.md has no ${BEGIN} ... ${END} block`)
    continue
  }
  const updated = `${readme.slice(0, start)}${BEGIN}\n${renderTables(manifest)}\n${readme.slice(end)}`
  if (updated === readme) continue
  if (check)
    problems.push(`actions/${entry.name}/README.md tables differ from action.yml (run \`pnpm docs\`)`)
  else {
    writeFileSync(readmePath, updated)
    console.log(`updated actions/${entry.name}/README.md`)
  }
}
if (problems.length > 0) {
  console.error(`action-docs:\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
if (check) console.log('action-docs: every action README matches its action.yml')
