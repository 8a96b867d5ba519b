import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as core from '@actions/core'
import {
  adaptExternalModel,
  ExternalModelError,
  predictWithOnnx,
  prepareTabular,
  scoreClassifier,
  type FeatureSpec,
  type TabularColumn,
  type TrainedTabular,
} from '@mlops/ml'

/** The user's command failed or wrote something that cannot be served. */
export class CommandModelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CommandModelError'
  }
}

export interface CommandTraining {
  command: string
  columns: readonly TabularColumn[]
  target: string
  exclude: readonly string[]
  seed: number
  testShare: number
  cwd: string
}

const csvCell = (value: number | string | null): string => {
  if (value === null) return ''
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * Bring-your-own training: the action makes the same seeded split as the built-in trainers, hands the training
 * rows to the command as a CSV, and keeps the holdout to itself, so the metrics are on data the command never
 * saw. The ONNX file the command writes is adapted to the bundle's contract and evaluated with onnxruntime.
 */
export async function trainWithCommand(options: CommandTraining): Promise<TrainedTabular> {
  const prepared = prepareTabular(options)
  const work = await mkdtemp(join(process.env.RUNNER_TEMP ?? tmpdir(), 'mlops-train-'))
  try {
    const trainCsv = join(work, 'train.csv')
    const onnxPath = join(work, 'model.onnx')
    const header = [...prepared.columns.map((c) => c.name), options.target]
    const lines = [header.map(csvCell).join(',')]
    for (const row of prepared.train) {
      lines.push(
        [...prepared.columns.map((c) => c.values[row]!), prepared.classes[prepared.y[row]!]!]
          .map(csvCell)
          .join(','),
      )
    }
    await writeFile(trainCsv, lines.join('\n') + '\n')
    core.info(
      `training rows: ${prepared.train.length} in $MLOPS_TRAIN_CSV; ${prepared.test.length} held out for the metrics`,
    )
    const started = performance.now()
    const exitCode = await runCommand(options.command, options.cwd, {
      MLOPS_TRAIN_CSV: trainCsv,
      MLOPS_TARGET: options.target,
      MLOPS_FEATURES: prepared.columns.map((c) => c.name).join(','),
      MLOPS_CLASSES: prepared.classes.join(','),
      MLOPS_SEED: String(prepared.seed),
      MLOPS_ONNX_OUTPUT: onnxPath,
    })
    if (exitCode !== 0)
      throw new CommandModelError(`your training command exited with code ${exitCode}; its output is above`)
    const raw = await readFile(onnxPath).catch(() => {
      throw new CommandModelError(
        'your training command finished but wrote no ONNX file to $MLOPS_ONNX_OUTPUT',
      )
    })
    const features = prepared.columns.map((c) => ({ name: c.name, kind: prepared.kinds[c.name]! }))
    let onnx: Uint8Array
    try {
      onnx = adaptExternalModel(raw, features, prepared.classes, 'the ONNX file from your command')
    } catch (error) {
      if (error instanceof ExternalModelError) throw new CommandModelError(error.message)
      throw error
    }
    // Recorded as they are fed: the graph gets raw values, so the numeric "scaling" is the identity.
    const specs: FeatureSpec[] = prepared.columns.map((c) =>
      prepared.kinds[c.name] === 'numeric'
        ? { name: c.name, kind: 'numeric', fill: Number.NaN, mean: 0, std: 1 }
        : { name: c.name, kind: 'categorical', categories: [] },
    )
    let probabilities: Float32Array
    try {
      ;({ probabilities } = await predictWithOnnx(onnx, specs, prepared.columns, prepared.test))
    } catch (error) {
      throw new CommandModelError(
        `the ONNX file from your command does not run in onnxruntime: ${(error as Error).message}`,
      )
    }
    return {
      onnx,
      specs,
      classes: prepared.classes,
      task: prepared.classes.length === 2 ? 'binary' : 'multiclass',
      params: {},
      score: scoreClassifier(
        Int32Array.from(prepared.test, (r) => prepared.y[r]!),
        probabilities,
        prepared.classes.length,
      ),
      exportError: 0,
      curve: [],
      importances: [],
      details: { seconds: Number(((performance.now() - started) / 1000).toFixed(1)) },
      rows: {
        train: prepared.train.length,
        test: prepared.test.length,
        droppedMissingTarget: prepared.droppedMissingTarget,
      },
      seed: prepared.seed,
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** Runs the command in a shell with its output streamed to the log, as a `run:` step would. */
function runCommand(command: string, cwd: string, env: Record<string, string>): Promise<number> {
  core.info(`$ ${command}`)
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', command], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk: Buffer) => process.stdout.write(chunk))
    child.stderr.on('data', (chunk: Buffer) => process.stdout.write(chunk))
    child.on('error', (error) =>
      reject(new CommandModelError(`cannot start your training command: ${error.message}`)),
    )
    child.on('close', (code) => resolve(code ?? 1))
  })
}
