// Keeps each Terraform module's README inputs/outputs tables in sync with its variables and outputs.
// `node scripts/terraform-docs.mjs` rewrites the tables between the markers; `--check` fails if any is stale.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadModule, moduleDirs, unwrap } from '../terraform/lib/hcl.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const BEGIN =
  '<!-- terraform-docs:begin (generated from variables.tf and outputs.tf by scripts/terraform-docs.mjs) -->'
const END = '<!-- terraform-docs:end -->'
const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, ' ')
    .trim()

export async function renderModuleTables(dir) {
  const module = await loadModule(dir)
  const variables = Object.entries(module.variable ?? {}).map(([name, [v]]) => {
    const required = !('default' in v)
    const value = v.default === null ? 'null' : JSON.stringify(v.default)
    return `| \`${name}\` | \`${cell(unwrap(v.type))}\` | ${required ? 'yes' : `\`${cell(value)}\``} | ${cell(v.description)} |`
  })
  const outputs = Object.entries(module.output ?? {}).map(
    ([name, [o]]) => `| \`${name}\` | ${cell(o.description)} |`,
  )
  return [
    BEGIN,
    '### Inputs',
    '',
    '| name | type | default | description |',
    '|---|---|---|---|',
    ...variables,
    '',
    '### Outputs',
    '',
    '| name | description |',
    '|---|---|',
    ...outputs,
    END,
  ].join('\n')
}

/** The README with its generated part replaced; throws when the markers are missing. */
export async function updatedReadme(dir) {
  const file = join(dir, 'README.md')
  if (!existsSync(file)) throw new Error(`${file} is missing`)
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf(BEGIN.split(' (')[0])
  const end = text.indexOf(END)
  if (start < 0 || end < 0) throw new Error(`${file} has no terraform-docs markers`)
  return {
    file,
    text,
    updated: text.slice(0, start) + (await renderModuleTables(dir)) + text.slice(end + END.length),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check')
  const stale = []
  for (const dir of moduleDirs(join(root, 'terraform'))) {
    const { file, text, updated } = await updatedReadme(dir)
    if (updated === text) continue
    if (check) stale.push(relative(root, file))
    else {
      writeFileSync(file, updated)
      console.log(`updated ${relative(root, file)}`)
    }
  }
  if (stale.length > 0) {
    console.error(`terraform-docs: stale tables in ${stale.join(', ')}; run node scripts/terraform-docs.mjs`)
    process.exit(1)
  }
  if (check) console.log('terraform-docs: every module README matches its variables and outputs')
}
