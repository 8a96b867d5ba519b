import { exportLinearClassifier, predictLinear } from '../onnx/linear-model.js'
import { fitLogisticRegression } from './logistic-regression.js'
import type { TabularTrainer, TrainProgress } from './trainer.js'

/** scikit-learn's LogisticRegression(penalty='l2', solver='lbfgs') under its own parameter names. */
export const logisticRegressionTrainer: TabularTrainer = {
  name: 'logistic-regression',
  params: {
    C: { kind: 'number', default: 1, min: 0, exclusiveMin: true, doc: 'inverse L2 strength, as sklearn' },
    max_iter: { kind: 'integer', default: 1000, min: 1, doc: 'L-BFGS iterations at most' },
    tol: { kind: 'number', default: 1e-6, min: 0, exclusiveMin: true, doc: 'gradient norm to stop at' },
  },
  fit({ x, rows, features, y, classes, specs, params, onProgress }) {
    const curve: TrainProgress[] = []
    const maxIterations = params.max_iter as number
    const model = fitLogisticRegression(
      x,
      y,
      { rows, features, classes },
      {
        c: params.C as number,
        maxIterations,
        tolerance: params.tol as number,
        onIteration: ({ iteration, loss }) => {
          const point: TrainProgress = {
            unit: 'iteration',
            step: iteration,
            total: maxIterations,
            trainLoss: loss,
          }
          curve.push(point)
          onProgress?.(point)
        },
      },
    )
    // On standardised inputs, |weight| is a fair importance; multinomial models average over classes.
    const importances = new Float64Array(features)
    for (const row of model.weights)
      row.forEach((w, f) => (importances[f]! += Math.abs(w) / model.weights.length))
    return {
      onnx: exportLinearClassifier(specs, model),
      predictProba(matrix, count) {
        const width = matrix.length / count
        const out = new Float64Array(count * classes.length)
        for (let i = 0; i < count; i++) {
          out.set(
            predictLinear(model, Array.from(matrix.subarray(i * width, (i + 1) * width))),
            i * classes.length,
          )
        }
        return out
      },
      curve,
      importances,
      details: { iterations: model.iterations, converged: model.converged },
    }
  },
}
