import { readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { didYouMean } from '@mlops/data'
import { parseInputPairs, UsageError } from './input-env.js'
import { runAction } from './run-action.js'
import { writeServeBaseImage } from './base-image.js'
import { replayRows } from './replay.js'
import { readPipelineFile } from './pipeline-file.js'
import { applyOverrides, renderPipelineTable, runPipeline, writePipelineReport } from './pipeline.js'

const USAGE = `usage:
  mlops run <action> [--input name=value ...] [--workspace DIR] [--debug] [--no-summary]
  mlops pipeline [FILE] [--workspace DIR] [--report-dir DIR] [--set stage.input=value ...] [--verbose]
  mlops base-image [--app DIR] [--out DIR] [--tag TAG]
  mlops replay URL FILE [--rows N] [--wait-for-log]
  mlops list

Runs an action from actions/<action>/dist exactly as the GitHub runner would, then prints its outputs and job summary.
\`mlops pipeline\` runs the stages of a pipeline file (default examples/readmission/pipeline.yml) in order, like one workflow job.
Example: mlops run data-qa --input dataset=examples/readmission/data/reference.csv --input expectations=examples/readmission/expectations.yml`

// Bundled as packages/cli/dist/mlops.js and run from source as packages/cli/src/bin.ts: the repo root is 3 levels up.
const repoRoot = process.env.MLOPS_REPO_ROOT ?? resolve(fileURLToPath(import.meta.url), '../../../..')
const actionsDir = join(repoRoot, 'actions')

async function listActions(): Promise<string[]> {
  const entries = await readdir(actionsDir, { withFileTypes: true })
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true, default: [] },
      workspace: { type: 'string', default: process.cwd() },
      debug: { type: 'boolean', default: false },
      'no-summary': { type: 'boolean', default: false },
      'report-dir': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      set: { type: 'string', multiple: true, default: [] },
      app: { type: 'string' },
      out: { type: 'string' },
      tag: { type: 'string', default: 'serve' },
      rows: { type: 'string' },
      'wait-for-log': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const [command, name] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return values.help ? 0 : 2
  }
  if (command === 'base-image') {
    const result = await writeServeBaseImage({
      appDir: resolve(values.app ?? join(repoRoot, 'serve/dist')),
      layoutDir: resolve(values.out ?? 'reports/image/base'),
      tag: values.tag,
    })
    console.log(`${result.reference} ${result.digest}`)
    return 0
  }
  if (command === 'replay') {
    const file = positionals[2]
    if (!name || !file) throw new UsageError('usage: mlops replay URL FILE [--rows N]')
    const rows = values.rows === undefined ? undefined : Number(values.rows)
    if (rows !== undefined && !(rows > 0))
      throw new UsageError(`--rows ${values.rows}: expected a positive number`)
    const sent = await replayRows({
      url: name,
      file: resolve(file),
      waitForLog: values['wait-for-log'],
      ...(rows ? { rows } : {}),
    })
    console.log(`sent ${sent} rows of ${file} to ${name}`)
    return 0
  }
  if (command === 'list') {
    for (const action of await listActions()) console.log(action)
    return 0
  }
  if (command === 'pipeline') {
    const file = resolve(name ?? join(repoRoot, 'examples/readmission/pipeline.yml'))
    const pipeline = applyOverrides(await readPipelineFile(file), values.set)
    const workspace = resolve(values.workspace)
    const started = performance.now()
    console.log(`pipeline ${pipeline.name}: ${pipeline.stages.length} stages from ${file}`)
    const results = await runPipeline({
      pipeline,
      actionsDir,
      workspace,
      ...(values.verbose
        ? { stageLog: (stage: string, line: string) => console.log(`  ${stage} | ${line}`) }
        : {}),
    })
    const report = await writePipelineReport(results, {
      dir: resolve(values['report-dir'] ?? join(workspace, 'reports/pipeline')),
      workspace,
      title: `mlops pipeline: ${pipeline.name}`,
    })
    console.log(`\n${renderPipelineTable(results)}\n`)
    const failed = results.find((r) => r.status === 'failed')
    console.log(
      `${failed ? `stopped at ${failed.id}` : 'every stage passed'} in ${((performance.now() - started) / 1000).toFixed(1)} s; report: ${report}`,
    )
    return failed ? 1 : 0
  }
  if (command !== 'run' || !name) throw new UsageError(USAGE)
  const actions = await listActions()
  if (!actions.includes(name))
    throw new UsageError(`no action '${name}'${didYouMean(name, actions)}; actions: ${actions.join(', ')}`)

  const result = await runAction({
    actionDir: join(actionsDir, name),
    inputs: parseInputPairs(values.input),
    workspace: resolve(values.workspace),
    debug: values.debug,
  })
  console.log(`\n── outputs of ${name} ──`)
  const outputs = Object.entries(result.outputs)
  if (outputs.length === 0) console.log('(none)')
  for (const [key, value] of outputs) console.log(`${key}: ${value}`)
  if (!values['no-summary'] && result.summary.trim())
    console.log(`\n── job summary ──\n${result.summary.trim()}`)
  console.log(`\n${name} ${result.exitCode === 0 ? 'succeeded' : `failed (exit ${result.exitCode})`}`)
  return result.exitCode
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error)
    process.exitCode = 2
  },
)
