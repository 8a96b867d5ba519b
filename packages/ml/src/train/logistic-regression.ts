import { minimizeLbfgs } from '../lbfgs.js'
import type { LinearClassifier } from '../onnx/linear-model.js'

export interface LogisticRegressionOptions {
  /** Inverse L2 strength, as scikit-learn's `C` (default 1.0): minimises C * sum(log-loss) + |w|^2 / 2. */
  c?: number
  maxIterations?: number
  tolerance?: number
  onIteration?: (info: { iteration: number; loss: number; gradientNorm: number }) => void
}

/**
 * Logistic regression on a row-major design matrix `x` (n x d) and class indices `y`: binary uses one weight
 * row and the sigmoid; more classes use the multinomial (softmax) loss with one row per class, as sklearn's
 * lbfgs solver does. Intercepts are not penalised.
 */
export function fitLogisticRegression(
  x: Float64Array,
  y: ArrayLike<number>,
  shape: { rows: number; features: number; classes: string[] },
  options: LogisticRegressionOptions = {},
): LinearClassifier & { iterations: number; converged: boolean } {
  const { rows: n, features: d, classes } = shape
  if (x.length !== n * d) throw new Error(`design matrix has ${x.length} values, expected ${n} x ${d}`)
  const k = classes.length === 2 ? 1 : classes.length
  const c = options.c ?? 1
  const width = d + 1
  // The mean loss (divided by n) has the same minimiser and keeps the line search well scaled.
  const penalty = 1 / (c * n)
  const scores = new Float64Array(k)
  const objective = (params: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0)
    let loss = 0
    for (let i = 0; i < n; i++) {
      const offset = i * d
      for (let j = 0; j < k; j++) {
        let z = params[j * width + d]!
        for (let f = 0; f < d; f++) z += params[j * width + f]! * x[offset + f]!
        scores[j] = z
      }
      const label = y[i]!
      if (k === 1) {
        const z = scores[0]!
        // log(1 + e^z) - label * z, computed without overflow.
        loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - label * z
        const residual = 1 / (1 + Math.exp(-z)) - label
        for (let f = 0; f < d; f++) gradient[f]! += residual * x[offset + f]!
        gradient[d]! += residual
      } else {
        let max = -Infinity
        for (let j = 0; j < k; j++) max = Math.max(max, scores[j]!)
        let total = 0
        for (let j = 0; j < k; j++) total += Math.exp(scores[j]! - max)
        const logTotal = Math.log(total) + max
        loss += logTotal - scores[label]!
        for (let j = 0; j < k; j++) {
          const residual = Math.exp(scores[j]! - logTotal) - (j === label ? 1 : 0)
          for (let f = 0; f < d; f++) gradient[j * width + f]! += residual * x[offset + f]!
          gradient[j * width + d]! += residual
        }
      }
    }
    loss /= n
    for (let p = 0; p < gradient.length; p++) gradient[p]! /= n
    for (let j = 0; j < k; j++) {
      for (let f = 0; f < d; f++) {
        const w = params[j * width + f]!
        loss += 0.5 * penalty * w * w
        gradient[j * width + f]! += penalty * w
      }
    }
    return loss
  }
  const result = minimizeLbfgs(objective, new Float64Array(k * width), {
    maxIterations: options.maxIterations ?? 1000,
    tolerance: options.tolerance ?? 1e-8,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  })
  const weights = Array.from({ length: k }, (_, j) => Array.from(result.x.subarray(j * width, j * width + d)))
  const intercepts = Array.from({ length: k }, (_, j) => result.x[j * width + d]!)
  return { classes, weights, intercepts, iterations: result.iterations, converged: result.converged }
}
