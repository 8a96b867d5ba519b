import { mkdir, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative } from 'node:path'
import { didYouMean } from '@mlops/data'
import { readActionManifest } from './action-manifest.js'
import { UsageError } from './input-env.js'
import { substituteOutputs, type PipelineFile, type PipelineStage } from './pipeline-file.js'
import { runAction, type ActionRun } from './run-action.js'
import { runShell, startService, type RunningService } from './pipeline-service.js'

export interface StageResult {
  id: string
  action: string
  status: 'passed' | 'failed' | 'skipped'
  seconds: number
  /** The one output that says how the stage went (a metric, a verdict, a model URI). */
  key: string
  outputs: Record<string, string>
  summary: string
}

export interface PipelineOptions {
  pipeline: PipelineFile
  actionsDir: string
  workspace: string
  write?: (line: string) => void
  /** Each stage's own log lines; default: dropped (the progress line and the final table say enough). */
  stageLog?: (stage: string, line: string) => void
  env?: Record<string, string | undefined>
  now?: () => number
  /** Folder for service logs; default the workspace's reports/pipeline. */
  logDir?: string
}

// What a person wants to see of each stage in the final table.
const KEY_OUTPUTS: Record<string, (o: Record<string, string>) => string | undefined> = {
  'data-qa': (o) => o.status && `${o.status}, ${o.rows} rows, ${o.failed} failed`,
  train: (o) => o['primary-metric'] && `${o['primary-metric']} ${Number(o['primary-value']).toFixed(4)}`,
  'mlflow-register': (o) => o['model-uri'] && `${o['model-uri']} (${o['alias-uri']})`,
  'quality-gate': (o) =>
    o.verdict && `${o.verdict}${o.promoted === 'true' ? `, champion is v${o['champion-version']}` : ''}`,
  'ecr-push': (o) => o.image,
  'helm-deploy': (o) => [o.status, o.manifest].filter(Boolean).join(': '),
  'smoke-test': (o) =>
    o.passed &&
    `${o.passed === 'true' ? 'passed' : 'failed'}, v${o['served-version']}, p95 ${o['p95-ms']} ms`,
  'drift-check': (o) => {
    if (!o['drift-detected']) return undefined
    const drifted = JSON.parse(o['drifted-columns'] || '[]') as string[]
    const share = Number(o['drifted-share']).toFixed(2)
    const dataset = o['drift-detected'] === 'true' ? 'dataset drift' : 'no dataset drift'
    return `${dataset} (share ${share}); drifted: ${drifted.join(', ') || 'none'}`
  },
}

/** Every input each stage passes must exist in its action.yml: a typo in the pipeline fails before anything runs. */
async function checkInputs(options: PipelineOptions): Promise<void> {
  for (const stage of options.pipeline.stages) {
    if (stage.service || stage.run !== undefined) continue
    const where = `${options.pipeline.file}:${stage.line}`
    const manifest = await readActionManifest(join(options.actionsDir, stage.action)).catch(() => {
      throw new UsageError(`${where}: no action '${stage.action}' in ${options.actionsDir}`)
    })
    const known = manifest.inputs.map((i) => i.name)
    for (const input of Object.keys(stage.with)) {
      if (!known.includes(input)) {
        throw new UsageError(
          `${where}: ${stage.action} has no input '${input}'${didYouMean(input, known)}; it takes ${known.join(', ')}`,
        )
      }
    }
  }
}

/**
 * Runs the stages in order through their committed dist/, as one workflow job would: each gets the earlier
 * stages' outputs, and the first failure skips the rest.
 */
export async function runPipeline(options: PipelineOptions): Promise<StageResult[]> {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'))
  const now = options.now ?? (() => performance.now())
  await checkInputs(options)
  const outputs = new Map<string, Record<string, string>>()
  const results: StageResult[] = []
  const services: RunningService[] = []
  const total = options.pipeline.stages.length
  try {
    for (const [index, stage] of options.pipeline.stages.entries()) {
      const label = `[${index + 1}/${total}] ${stage.name}`
      if (results.some((r) => r.status === 'failed')) {
        results.push({
          id: stage.id,
          action: stage.action,
          status: 'skipped',
          seconds: 0,
          key: '',
          outputs: {},
          summary: '',
        })
        write(`${label}: skipped`)
        continue
      }
      const where = `${options.pipeline.file}:${stage.line}`
      write(`${label}: running`)
      const started = now()
      const result = stage.service
        ? await runServiceStage(stage, options, outputs, where, services)
        : stage.run !== undefined
          ? await runCommandStage(stage, options, outputs, where)
          : await runActionStage(stage, options, outputs, where)
      const seconds = (now() - started) / 1000
      outputs.set(stage.id, result.outputs)
      write(`${label}: ${result.status} in ${seconds.toFixed(1)} s${result.key ? ` — ${result.key}` : ''}`)
      results.push({ id: stage.id, action: stage.action, seconds, ...result })
    }
  } finally {
    await Promise.all(services.map((s) => s.stop()))
  }
  return results
}

type StageOutcome = Pick<StageResult, 'status' | 'key' | 'outputs' | 'summary'>

async function runActionStage(
  stage: PipelineStage,
  options: PipelineOptions,
  outputs: ReadonlyMap<string, Record<string, string>>,
  where: string,
): Promise<StageOutcome> {
  const inputs = Object.fromEntries(
    Object.entries(stage.with).map(([k, v]) => [k, substituteOutputs(v, outputs, where)]),
  )
  const run: ActionRun = await runAction({
    actionDir: join(options.actionsDir, stage.action),
    inputs,
    workspace: options.workspace,
    write: (line) => options.stageLog?.(stage.id, line),
    ...(options.env ? { env: options.env } : {}),
  })
  const status = run.exitCode === 0 ? 'passed' : 'failed'
  const key =
    status === 'failed'
      ? (run.annotations.find((a) => a.level === 'error')?.message ?? `exit ${run.exitCode}`)
      : (KEY_OUTPUTS[stage.action]?.(run.outputs) ?? '')
  return { status, key, outputs: run.outputs, summary: run.summary }
}

/** Runs the stage's command line with sh in the workspace; its output goes to a log beside the report. */
async function runCommandStage(
  stage: PipelineStage,
  options: PipelineOptions,
  outputs: ReadonlyMap<string, Record<string, string>>,
  where: string,
): Promise<StageOutcome> {
  const command = substituteOutputs(stage.run!, outputs, where)
  const logDir = options.logDir ?? join(options.workspace, 'reports/pipeline')
  await mkdir(logDir, { recursive: true })
  const logFile = join(logDir, `${stage.id}.log`)
  const { code, output } = await runShell(command, options.workspace, options.env)
  await writeFile(logFile, output)
  if (code === 0) return { status: 'passed', key: '', outputs: { log: logFile }, summary: '' }
  const tail = output.trimEnd().split('\n').slice(-15).join('\n')
  return {
    status: 'failed',
    key: `${command} exited with ${code}`,
    outputs: { log: logFile },
    summary: `${command} exited with ${code}; its last lines:\n${tail}`,
  }
}

/** Starts the stage's process and leaves it running for the stages after it; stopped when the pipeline ends. */
async function runServiceStage(
  stage: PipelineStage,
  options: PipelineOptions,
  outputs: ReadonlyMap<string, Record<string, string>>,
  where: string,
  services: RunningService[],
): Promise<StageOutcome> {
  const spec = stage.service!
  const logDir = options.logDir ?? join(options.workspace, 'reports/pipeline')
  await mkdir(logDir, { recursive: true })
  const logFile = join(logDir, `${stage.id}.log`)
  try {
    const service = await startService({
      command: spec.command.map((c) => substituteOutputs(c, outputs, where)),
      cwd: options.workspace,
      env: {
        ...options.env,
        ...Object.fromEntries(
          Object.entries(spec.env).map(([k, v]) => [k, substituteOutputs(v, outputs, where)]),
        ),
      },
      readyPath: spec.ready,
      timeoutMs: spec.timeoutSeconds * 1000,
      logFile,
    })
    services.push(service)
    return { status: 'passed', key: service.url, outputs: { url: service.url, log: logFile }, summary: '' }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    return {
      status: 'failed',
      key: error.message.split('\n')[0]!,
      outputs: { log: logFile },
      summary: error.message,
    }
  }
}

/** `--set stage.input=value` pairs applied to a pipeline's stages; an unknown stage is an error. */
export function applyOverrides(pipeline: PipelineFile, pairs: readonly string[]): PipelineFile {
  const stages = pipeline.stages.map((s) => ({ ...s, with: { ...s.with } }))
  for (const pair of pairs) {
    const match = /^([\w-]+)\.([\w-]+)=(.*)$/s.exec(pair)
    if (!match) throw new UsageError(`--set ${pair}: expected <stage>.<input>=<value>`)
    const [, id, input, value] = match
    const stage = stages.find((s) => s.id === id)
    if (!stage)
      throw new UsageError(`--set ${pair}: no stage '${id}'; stages: ${stages.map((s) => s.id).join(', ')}`)
    stage.with[input!] = value!
  }
  return { ...pipeline, stages }
}

/** The final table for the terminal. */
export function renderPipelineTable(results: readonly StageResult[]): string {
  const rows = [
    ['stage', 'status', 'seconds', 'result'],
    ...results.map((r) => [r.id, r.status, r.seconds.toFixed(1), r.key]),
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd()
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/** One HTML page: the stage table, links to the files each stage reported, and each stage's job summary. */
export async function writePipelineReport(
  results: readonly StageResult[],
  options: { dir: string; workspace: string; title: string },
): Promise<string> {
  await mkdir(options.dir, { recursive: true })
  const link = (path: string) => {
    const target = isAbsolute(path) ? path : join(options.workspace, path)
    return `<a href="${escapeHtml(relative(options.dir, target))}">${escapeHtml(relative(options.workspace, target) || path)}</a>`
  }
  const fileOutputs = (outputs: Record<string, string>) =>
    Object.entries(outputs)
      .filter(([name, value]) => /report|metrics|bundle|path/.test(name) && value !== '')
      .map(([name, value]) => `${escapeHtml(name)}: ${link(value)}`)
      .join('<br>')
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}.passed{color:#1a7f37}.failed{color:#cf222e}.skipped{color:#777}pre{background:#f6f8fa;padding:1rem;overflow:auto;white-space:pre-wrap}</style>
</head><body><h1>${escapeHtml(options.title)}</h1>
<table><tr><th>stage</th><th>status</th><th>seconds</th><th>result</th><th>files</th></tr>
${results.map((r) => `<tr><td>${escapeHtml(r.id)}</td><td class="${r.status}">${r.status}</td><td>${r.seconds.toFixed(1)}</td><td>${escapeHtml(r.key)}</td><td>${fileOutputs(r.outputs)}</td></tr>`).join('\n')}
</table>
${results
  .filter((r) => r.summary.trim())
  .map((r) => `<h2>${escapeHtml(r.id)}</h2>\n<pre>${escapeHtml(r.summary.trim())}</pre>`)
  .join('\n')}
</body></html>
`
  const file = join(options.dir, 'index.html')
  await writeFile(file, page)
  return file
}
