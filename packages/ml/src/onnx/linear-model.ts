import { GraphBuilder } from './graph-builder.js'
import { addPreprocessing, featureWidth, type FeatureSpec } from './preprocess.js'

/**
 * A fitted linear classifier in feature space: `weights[class][feature]`. Binary models keep one row of
 * weights (for the positive class, `classes[1]`), as logistic regression does.
 */
export interface LinearClassifier {
  classes: string[]
  weights: number[][]
  intercepts: number[]
}

export const LABEL_OUTPUT = 'label'
export const PROBABILITIES_OUTPUT = 'probabilities'

/**
 * Exports preprocessing + a logistic/softmax head as one graph with standard ops only (MatMul, Sigmoid,
 * Softmax, ArgMax, Gather), so every runtime that speaks opset 17 can run it. Outputs: `label` [N] (class
 * names) and `probabilities` [N, C] in `classes` order.
 */
export function exportLinearClassifier(
  specs: readonly FeatureSpec[],
  model: LinearClassifier,
  options: { name?: string } = {},
): Uint8Array {
  const width = specs.reduce((n, s) => n + featureWidth(s), 0)
  const binary = model.classes.length === 2
  const rows = binary ? 1 : model.classes.length
  if (model.classes.length < 2) throw new Error('a classifier needs at least two classes')
  if (
    model.weights.length !== rows ||
    model.weights.some((w) => w.length !== width) ||
    model.intercepts.length !== rows
  ) {
    throw new Error(
      `weights must be ${rows} x ${width} with ${rows} intercepts for ${model.classes.length} classes and ${width} features`,
    )
  }
  const graph = new GraphBuilder(options.name ?? 'linear_classifier')
  const features = addPreprocessing(graph, specs)
  // MatMul wants [D, C]: transpose the per-class rows.
  const matrix = Array.from({ length: width }, (_, f) => model.weights.map((w) => w[f]!)).flat()
  const w = graph.constant('weights', { type: 'float', dims: [width, rows], values: matrix })
  const b = graph.constant('intercepts', { type: 'float', dims: [rows], values: model.intercepts })
  const [product] = graph.node('MatMul', [features, w])
  const [logits] = graph.node('Add', [product!, b])
  let probabilities: string
  if (binary) {
    const [positive] = graph.node('Sigmoid', [logits!])
    const one = graph.constant('one', { type: 'float', dims: [1], values: [1] })
    const [negative] = graph.node('Sub', [one, positive!])
    probabilities = graph.node('Concat', [negative!, positive!], {
      outputs: [PROBABILITIES_OUTPUT],
      attributes: { axis: 1 },
    })[0]!
  } else {
    probabilities = graph.node('Softmax', [logits!], {
      outputs: [PROBABILITIES_OUTPUT],
      attributes: { axis: 1 },
    })[0]!
  }
  const [index] = graph.node('ArgMax', [probabilities], { attributes: { axis: 1, keepdims: 0 } })
  const names = graph.constant('class_names', {
    type: 'string',
    dims: [model.classes.length],
    values: model.classes,
  })
  graph.node('Gather', [names, index!], { outputs: [LABEL_OUTPUT], attributes: { axis: 0 } })
  graph.output(LABEL_OUTPUT, 'string', ['N'])
  graph.output(PROBABILITIES_OUTPUT, 'float', ['N', model.classes.length])
  return graph.toBytes({ docString: `linear classifier over ${specs.length} columns` })
}

/** The same forward pass in float64, for trainers' in-memory predictions and for checking the export. */
export function predictLinear(model: LinearClassifier, features: readonly number[]): number[] {
  const logits = model.weights.map((w, c) =>
    w.reduce((sum, wi, i) => sum + wi * features[i]!, model.intercepts[c]!),
  )
  if (model.classes.length === 2) {
    const p = 1 / (1 + Math.exp(-logits[0]!))
    return [1 - p, p]
  }
  const max = Math.max(...logits)
  const exps = logits.map((z) => Math.exp(z - max))
  const total = exps.reduce((a, b) => a + b, 0)
  return exps.map((e) => e / total)
}
