import * as ort from 'onnxruntime-node'
import type { BundleInfo } from '../bundle/model-bundle.js'
import type { FeatureSpec } from '../onnx/preprocess.js'
import { scoreClassifier, type MetricName } from '../score.js'
import { columnFeeds } from '../train/evaluate-onnx.js'

/** A model and a holdout that cannot be compared (missing column, different signatures): the user's to fix. */
export class EvaluationInputError extends Error {
  constructor(
    message: string,
    readonly column?: string,
  ) {
    super(message)
    this.name = 'EvaluationInputError'
  }
}

/** The parts of a model bundle the evaluation needs. */
export interface EvaluatedModel {
  onnx: Uint8Array
  info: Pick<BundleInfo, 'features' | 'labels' | 'target'>
}

export interface HoldoutColumn {
  name: string
  kind: 'numeric' | 'categorical'
  values: ReadonlyArray<number | string | null>
}

/** The labelled rows of a holdout, labels as class indices in the models' class order. */
export interface Holdout {
  columns: readonly HoldoutColumn[]
  /** Row numbers (0-based, in the table) that have a label. */
  rows: number[]
  actual: Int32Array
  /** Rows left out because the target was empty. */
  unlabelled: number
}

export interface ModelEvaluation {
  metrics: Partial<Record<MetricName, number>>
  confusion: number[][]
  predicted: Int32Array
  /** Row-major, one value per class. */
  probabilities: Float32Array
  /** Time per row of one batch run over the whole holdout (fastest of five runs, after a warm-up). */
  latencyMsPerRow: number
  /** Median time of a one-row request, as the server sees them. */
  latencyMsSingleRow: number
  sizeBytes: number
}

const describe = (spec: FeatureSpec) => (spec.kind === 'numeric' ? 'numeric' : 'categorical')

/**
 * Both models must read the same columns the same way and predict the same classes, or the comparison means
 * nothing (and one of them would fail at serve time on the other's requests). Names the first column that differs.
 */
export function checkSameSignature(
  candidate: EvaluatedModel['info'],
  baseline: EvaluatedModel['info'],
  names = { candidate: 'candidate', baseline: 'champion' },
): void {
  const baselineFeatures = new Map(baseline.features.map((f) => [f.name, f]))
  const candidateFeatures = new Map(candidate.features.map((f) => [f.name, f]))
  for (const feature of candidate.features) {
    const other = baselineFeatures.get(feature.name)
    if (other === undefined) {
      throw new EvaluationInputError(
        `signature mismatch: the ${names.candidate} takes column '${feature.name}', which the ${names.baseline} does not ` +
          `(${names.baseline} inputs: ${baseline.features.map((f) => f.name).join(', ')})`,
        feature.name,
      )
    }
    if (other.kind !== feature.kind) {
      throw new EvaluationInputError(
        `signature mismatch: column '${feature.name}' is ${describe(feature)} in the ${names.candidate} but ` +
          `${describe(other)} in the ${names.baseline}`,
        feature.name,
      )
    }
  }
  for (const feature of baseline.features) {
    if (!candidateFeatures.has(feature.name)) {
      throw new EvaluationInputError(
        `signature mismatch: the ${names.baseline} takes column '${feature.name}', which the ${names.candidate} does not ` +
          `(${names.candidate} inputs: ${candidate.features.map((f) => f.name).join(', ')})`,
        feature.name,
      )
    }
  }
  if (candidate.target !== baseline.target) {
    throw new EvaluationInputError(
      `the ${names.candidate} predicts '${candidate.target}' but the ${names.baseline} predicts '${baseline.target}'`,
      candidate.target,
    )
  }
  if (candidate.labels.join('\u0000') !== baseline.labels.join('\u0000')) {
    throw new EvaluationInputError(
      `the models predict different classes for '${candidate.target}': ${names.candidate} ` +
        `[${candidate.labels.join(', ')}], ${names.baseline} [${baseline.labels.join(', ')}]`,
      candidate.target,
    )
  }
}

/** The holdout columns a model needs, so the table is read with exactly those and categorical codes stay text. */
export function holdoutColumnsFor(info: EvaluatedModel['info']): {
  columns: string[]
  kinds: Record<string, 'categorical'>
} {
  return {
    columns: [...info.features.map((f) => f.name), info.target],
    kinds: {
      ...Object.fromEntries(
        info.features.filter((f) => f.kind === 'categorical').map((f) => [f.name, 'categorical' as const]),
      ),
      [info.target]: 'categorical' as const,
    },
  }
}

/** Checks the holdout against a model's inputs and maps its labels to the model's classes. */
export function prepareHoldout(
  info: EvaluatedModel['info'],
  columns: readonly HoldoutColumn[],
  source = 'the holdout',
): Holdout {
  const byName = new Map(columns.map((c) => [c.name, c]))
  for (const feature of info.features) {
    const column = byName.get(feature.name)
    if (column === undefined) {
      throw new EvaluationInputError(
        `${source} has no column '${feature.name}', which the model takes as input`,
        feature.name,
      )
    }
    if (feature.kind === 'numeric' && column.kind !== 'numeric') {
      const text = column.values.find((v) => typeof v === 'string')
      throw new EvaluationInputError(
        `column '${feature.name}' is numeric in the model but holds text in ${source} (e.g. ${JSON.stringify(text)})`,
        feature.name,
      )
    }
  }
  const target = byName.get(info.target)
  if (target === undefined) {
    throw new EvaluationInputError(
      `${source} has no column '${info.target}', the target the model predicts`,
      info.target,
    )
  }
  const classIndex = new Map(info.labels.map((label, i) => [label, i]))
  const rows: number[] = []
  const actual: number[] = []
  target.values.forEach((value, row) => {
    if (value === null || value === '') return
    const index = classIndex.get(String(value))
    if (index === undefined) {
      throw new EvaluationInputError(
        `column '${info.target}' holds '${String(value)}' in row ${row + 1} of ${source}, a class the model does not ` +
          `know (classes: ${info.labels.join(', ')})`,
        info.target,
      )
    }
    rows.push(row)
    actual.push(index)
  })
  if (rows.length === 0)
    throw new EvaluationInputError(`${source} has no labelled rows in '${info.target}'`, info.target)
  return { columns, rows, actual: Int32Array.from(actual), unlabelled: target.values.length - rows.length }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * Runs models' ONNX graphs on the holdout in onnxruntime (the deployed graphs, preprocessing included) and scores
 * them with the same metric code as training, plus latency per row and the size of each graph. Timed runs
 * alternate between the models, so a busy moment on a shared runner slows both rather than one of them.
 */
export async function evaluateModels(
  models: readonly EvaluatedModel[],
  holdout: Holdout,
): Promise<ModelEvaluation[]> {
  const sessions: ort.InferenceSession[] = []
  try {
    for (const model of models) {
      sessions.push(await ort.InferenceSession.create(model.onnx, { intraOpNumThreads: 1 }))
    }
    const feeds = models.map((m) => columnFeeds(m.info.features, holdout.columns, holdout.rows))
    // The first run also warms up: timing it would charge once-per-session planning to every row.
    const outputs: ort.InferenceSession.OnnxValueMapType[] = []
    for (const [i, session] of sessions.entries()) outputs.push(await session.run(feeds[i]!))
    const batch = models.map(() => [] as number[])
    for (let round = 0; round < 5; round++) {
      for (const [i, session] of sessions.entries()) {
        const start = performance.now()
        await session.run(feeds[i]!)
        batch[i]!.push((performance.now() - start) / holdout.rows.length)
      }
    }
    const single = models.map(() => [] as number[])
    for (let r = 0; r < Math.min(25, holdout.rows.length); r++) {
      for (const [i, session] of sessions.entries()) {
        const one = columnFeeds(models[i]!.info.features, holdout.columns, [holdout.rows[r]!])
        const start = performance.now()
        await session.run(one)
        single[i]!.push(performance.now() - start)
      }
    }
    return models.map((model, i) => {
      const out = outputs[i]!
      const probabilities = out.probabilities?.data as Float32Array | undefined
      const classCount = out.probabilities?.dims[1]
      if (probabilities === undefined || classCount !== model.info.labels.length) {
        throw new EvaluationInputError(
          `the model's graph has no 'probabilities' output with ${model.info.labels.length} classes; is it a model bundle?`,
        )
      }
      const score = scoreClassifier(holdout.actual, probabilities, classCount)
      return {
        metrics: score.metrics,
        confusion: score.report.confusion,
        predicted: score.predicted,
        probabilities,
        // The fastest round: on a shared runner the slower ones measure the neighbours, not the model.
        latencyMsPerRow: Math.min(...batch[i]!),
        latencyMsSingleRow: median(single[i]!),
        sizeBytes: model.onnx.byteLength,
      }
    })
  } finally {
    for (const session of sessions) await session.release()
  }
}

export async function evaluateOnHoldout(model: EvaluatedModel, holdout: Holdout): Promise<ModelEvaluation> {
  return (await evaluateModels([model], holdout))[0]!
}
