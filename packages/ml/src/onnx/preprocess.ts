import { GraphBuilder, ML_DOMAIN } from './graph-builder.js'

/**
 * How one dataset column becomes model features, inside the graph so the server needs no preprocessor:
 * numeric columns are imputed then standardised; string categories are one-hot encoded, where a category not
 * seen in training (or an empty value) becomes all zeros instead of an error.
 */
export type FeatureSpec =
  | { name: string; kind: 'numeric'; fill: number; mean: number; std: number }
  | { name: string; kind: 'categorical'; categories: string[] }

export const featureWidth = (spec: FeatureSpec): number =>
  spec.kind === 'numeric' ? 1 : spec.categories.length

/** Adds one graph input per column (shape [N, 1], named after the column) and returns the [N, D] feature tensor. */
export function addPreprocessing(graph: GraphBuilder, specs: readonly FeatureSpec[]): string {
  if (specs.length === 0) throw new Error('a model needs at least one feature column')
  const parts = specs.map((spec) => {
    if (spec.kind === 'numeric') {
      const input = graph.input(spec.name, 'float', ['N', 1])
      const [imputed] = graph.node('Imputer', [input], {
        domain: ML_DOMAIN,
        // NaN marks a missing value: the server turns JSON null into NaN for float inputs.
        attributes: { imputed_value_floats: { floats: [spec.fill] }, replaced_value_float: NaN },
      })
      // A zero std (constant column) would divide by zero: scale 1 leaves the centred value, which is 0.
      const scale = spec.std > 0 ? 1 / spec.std : 1
      const [scaled] = graph.node('Scaler', [imputed!], {
        domain: ML_DOMAIN,
        attributes: { offset: { floats: [spec.mean] }, scale: { floats: [scale] } },
      })
      return scaled!
    }
    if (spec.categories.length === 0) throw new Error(`categorical column '${spec.name}' has no categories`)
    const input = graph.input(spec.name, 'string', ['N', 1])
    const [encoded] = graph.node('OneHotEncoder', [input], {
      domain: ML_DOMAIN,
      attributes: { cats_strings: spec.categories, zeros: 1 },
    })
    const shape = graph.constant(`${spec.name}_shape`, {
      type: 'int64',
      dims: [2],
      values: [-1, spec.categories.length],
    })
    const [flat] = graph.node('Reshape', [encoded!, shape])
    return flat!
  })
  if (parts.length === 1) return parts[0]!
  const [features] = graph.node('Concat', parts, { attributes: { axis: 1 } })
  return features!
}

/** The same preprocessing in plain TypeScript, for trainers and for tests that check the graph against it. */
export function preprocessRow(
  specs: readonly FeatureSpec[],
  row: Record<string, number | string | null | undefined>,
): number[] {
  const features: number[] = []
  for (const spec of specs) {
    const value = row[spec.name]
    if (spec.kind === 'numeric') {
      const x = typeof value === 'number' && !Number.isNaN(value) ? value : spec.fill
      features.push((x - spec.mean) * (spec.std > 0 ? 1 / spec.std : 1))
    } else {
      for (const category of spec.categories) features.push(value === category ? 1 : 0)
    }
  }
  return features
}
