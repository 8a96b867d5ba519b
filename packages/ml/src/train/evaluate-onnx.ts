import * as ort from 'onnxruntime-node'
import type { FeatureSpec } from '../onnx/preprocess.js'
import type { ColumnData } from './features.js'

/**
 * Runs an exported graph on rows of the given columns, feeding one [N, 1] tensor per column as the server does.
 * Metrics are computed from these outputs, so the logged numbers are the deployed graph's numbers.
 */
export async function predictWithOnnx(
  model: Uint8Array,
  specs: readonly FeatureSpec[],
  columns: readonly ColumnData[],
  rows: readonly number[],
): Promise<{ labels: string[]; probabilities: Float32Array; classCount: number }> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 })
  const feeds = columnFeeds(specs, columns, rows)
  const out = await session.run(feeds)
  await session.release()
  const probabilities = out.probabilities!.data as Float32Array
  return {
    labels: [...(out.label!.data as string[])],
    probabilities,
    classCount: out.probabilities!.dims[1]!,
  }
}

/** One [N, 1] tensor per model input for the given rows: numbers (missing as NaN, imputed in the graph) or text. */
export function columnFeeds(
  specs: readonly FeatureSpec[],
  columns: readonly ColumnData[],
  rows: readonly number[],
): Record<string, ort.Tensor> {
  const byName = new Map(columns.map((c) => [c.name, c.values]))
  const feeds: Record<string, ort.Tensor> = {}
  for (const spec of specs) {
    const values = byName.get(spec.name)!
    feeds[spec.name] =
      spec.kind === 'numeric'
        ? new ort.Tensor(
            'float32',
            Float32Array.from(rows, (r) => (typeof values[r] === 'number' ? (values[r] as number) : NaN)),
            [rows.length, 1],
          )
        : new ort.Tensor(
            'string',
            rows.map((r) => (values[r] === null || values[r] === undefined ? '' : String(values[r]))),
            [rows.length, 1],
          )
  }
  return feeds
}
