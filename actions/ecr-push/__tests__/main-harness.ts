import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run as runWithReporting } from '@mlops/kit'
import { ImageInputError, RegistryError } from '@mlops/oci'
import { main } from '../src/main.js'
import { ScanGateError, type PublishDeps } from '../src/publish.js'

export interface CapturedRun {
  exitCode: number
  /** Everything the action wrote to stdout (log lines and workflow commands), unmasked. */
  stdout: string
  outputs: string
  summary: string
}

/**
 * Runs main() in this process with test doubles injected, the way the runner would: INPUT_* env, GITHUB_OUTPUT
 * and GITHUB_STEP_SUMMARY files, and kit's error reporting. Captures every byte written to stdout and stderr.
 */
// One folder per test file: @actions/core caches the summary file path after the first write.
let runnerTemp: string | undefined

export async function runMain(
  inputs: Record<string, string>,
  workspace: string,
  deps: Partial<PublishDeps>,
): Promise<CapturedRun> {
  runnerTemp ??= await mkdtemp(join(tmpdir(), 'ecr-push-main-'))
  const temp = runnerTemp
  const files = { output: join(temp, 'output'), summary: join(temp, 'summary.md') }
  await writeFile(files.output, '')
  await writeFile(files.summary, '')
  const saved = { ...process.env }
  for (const key of Object.keys(process.env))
    if (key.startsWith('INPUT_') || key.startsWith('AWS_')) delete process.env[key]
  Object.assign(process.env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: temp,
  })
  for (const [name, value] of Object.entries(inputs)) process.env[`INPUT_${name.toUpperCase()}`] = value
  const chunks: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  const writeErr = process.stderr.write.bind(process.stderr)
  const capture = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
    return true
  }
  process.stdout.write = capture as typeof process.stdout.write
  process.stderr.write = capture as typeof process.stderr.write
  const exitCode = process.exitCode
  process.exitCode = 0
  let code: number
  try {
    await runWithReporting(() => main({ tempDir: temp, ...deps }), {
      userErrors: [RegistryError, ImageInputError, ScanGateError],
    })
  } finally {
    process.stdout.write = write
    process.stderr.write = writeErr
    code = Number(process.exitCode ?? 0)
    process.exitCode = exitCode
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
  const result = {
    exitCode: code,
    stdout: chunks.join(''),
    outputs: await readFile(files.output, 'utf8'),
    summary: await readFile(files.summary, 'utf8'),
  }
  return result
}

export async function removeRunnerTemp(): Promise<void> {
  if (runnerTemp) await rm(runnerTemp, { recursive: true, force: true })
  runnerTemp = undefined
}

/** A docker CLI stand-in that answers nothing: no daemon, as on this machine and many runners. */
export const noDocker: PublishDeps['docker'] = async () => ({
  code: 1,
  stdout: '',
  stderr: 'Cannot connect to the Docker daemon',
})
