import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { readActionManifest } from './action-manifest.js'
import { inputEnvironment, UsageError } from './input-env.js'
import { parseOutputFile, parseWorkflowCommand } from './runner-files.js'

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  message: string
  file?: string
  line?: number
}

export interface ActionRun {
  exitCode: number
  outputs: Record<string, string>
  summary: string
  annotations: Annotation[]
}

export interface RunActionOptions {
  actionDir: string
  inputs: Record<string, string>
  workspace: string
  /** Where the action's log lines go, already rendered for a terminal. */
  write?: (line: string) => void
  debug?: boolean
  env?: Record<string, string | undefined>
}

/**
 * Runs an action's committed dist/ the way the runner does: a fresh `node` process with INPUT_* set from the
 * given values and action.yml defaults, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY pointing at temp files, and the
 * workflow commands on its stdout turned into readable lines (masks applied, debug hidden unless asked).
 */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'))
  const manifest = await readActionManifest(options.actionDir)
  if (!/^node\d+$/.test(manifest.using))
    throw new UsageError(`${options.actionDir}: runs.using is ${manifest.using}, not a node runtime`)
  const entry = resolve(options.actionDir, manifest.main)
  await stat(entry).catch(() => {
    throw new UsageError(`${entry} is missing: build the action first (pnpm bundle)`)
  })
  const missing = manifest.inputs.filter(
    (i) => i.required && i.default === undefined && options.inputs[i.name] === undefined,
  )
  if (missing.length > 0)
    throw new UsageError(
      `missing required input${missing.length > 1 ? 's' : ''}: ${missing.map((i) => i.name).join(', ')}`,
    )

  const temp = await mkdtemp(join(tmpdir(), 'mlops-run-'))
  const files = {
    output: join(temp, 'output'),
    summary: join(temp, 'summary.md'),
    env: join(temp, 'env'),
    path: join(temp, 'path'),
  }
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')))
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...options.env,
    ...inputEnvironment(manifest.inputs, options.inputs, manifest.name || options.actionDir),
    GITHUB_ACTIONS: 'true',
    CI: process.env.CI ?? 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    RUNNER_TEMP: temp,
    RUNNER_DEBUG: options.debug ? '1' : undefined,
  }
  try {
    const child = spawn(process.execPath, [entry], {
      cwd: options.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const masks: string[] = []
    const mask = (text: string): string => masks.reduce((t, secret) => t.split(secret).join('***'), text)
    const annotations: Annotation[] = []
    const onLine = (line: string): void => {
      const command = parseWorkflowCommand(line)
      if (!command) return write(mask(line))
      const { properties, message } = command
      switch (command.command) {
        case 'add-mask':
          if (message) masks.push(message)
          return
        case 'group':
          return write(`▸ ${mask(message)}`)
        case 'endgroup':
          return
        case 'debug':
          if (options.debug) write(`  debug: ${mask(message)}`)
          return
        case 'error':
        case 'warning':
        case 'notice': {
          const line = properties.line ?? properties.startLine
          const location = properties.file ? `${properties.file}${line ? `:${line}` : ''}` : ''
          // Messages that already start with their location (file:line: ...) are not prefixed twice.
          const where = location && !message.startsWith(location) ? `${location}: ` : ''
          annotations.push({
            level: command.command,
            message: mask(message),
            ...(properties.file ? { file: properties.file } : {}),
            ...(line ? { line: Number(line) } : {}),
          })
          return write(`${command.command}: ${where}${mask(message)}`)
        }
        default:
          return write(mask(line))
      }
    }
    createInterface({ input: child.stdout }).on('line', onLine)
    createInterface({ input: child.stderr }).on('line', (line) => write(mask(line)))
    const exitCode = await new Promise<number>((done, fail) => {
      child.on('error', fail)
      child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)))
    })
    const outputs = parseOutputFile(await readFile(files.output, 'utf8'))
    const summary = await readFile(files.summary, 'utf8')
    return { exitCode, outputs, summary, annotations }
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}
