import { featureWidth, type FeatureSpec } from '../onnx/preprocess.js'

/**
 * Design-matrix values as the exported graph computes them. The graph takes numeric columns as float32 and
 * runs Imputer and Scaler in float32, while the trainer's design matrix is float64. A linear model shrugs at
 * the difference; a tree does not: a value one float32 step from a threshold goes down the other branch. So
 * trees are grown and evaluated on exactly the float32 values onnxruntime will compare with the thresholds:
 * the raw value is recovered from the standardised one, rounded to float32, and put through
 * `(x - offset) * scale` with float32 rounding at every step, as ai.onnx.ml Scaler does.
 */
export interface GraphPrecision {
  width: number
  /** Per design column: 1 when numeric (standardised in the graph), 0 for one-hot columns (exact 0/1). */
  numeric: Uint8Array
  mean: Float64Array
  scale: Float64Array
  mean32: Float64Array
  scale32: Float64Array
}

export function graphPrecision(specs: readonly FeatureSpec[]): GraphPrecision {
  const width = specs.reduce((n, s) => n + featureWidth(s), 0)
  const precision: GraphPrecision = {
    width,
    numeric: new Uint8Array(width),
    mean: new Float64Array(width),
    scale: new Float64Array(width).fill(1),
    mean32: new Float64Array(width),
    scale32: new Float64Array(width).fill(1),
  }
  let offset = 0
  for (const spec of specs) {
    if (spec.kind === 'numeric') {
      const scale = spec.std > 0 ? 1 / spec.std : 1
      precision.numeric[offset] = 1
      precision.mean[offset] = spec.mean
      precision.scale[offset] = scale
      precision.mean32[offset] = Math.fround(spec.mean)
      precision.scale32[offset] = Math.fround(scale)
    }
    offset += featureWidth(spec)
  }
  return precision
}

/** One design-matrix value of column `column` as the float32 graph computes it. */
export function atGraphPrecision(precision: GraphPrecision, column: number, value: number): number {
  if (precision.numeric[column] === 0) return value
  const raw = Math.fround(value / precision.scale[column]! + precision.mean[column]!)
  return Math.fround(Math.fround(raw - precision.mean32[column]!) * precision.scale32[column]!)
}

/** One column of a row-major design matrix at graph precision, for the given rows, into `out`. */
export function graphColumn(
  precision: GraphPrecision,
  x: Float64Array,
  column: number,
  rows: Int32Array,
  out: Float64Array,
): Float64Array {
  const width = precision.width
  for (let i = 0; i < rows.length; i++)
    out[i] = atGraphPrecision(precision, column, x[rows[i]! * width + column]!)
  return out
}
