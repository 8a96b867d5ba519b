import type { TabularTrainer, TrainProgress } from '../train/trainer.js'
import { exportTreeEnsemble } from './export-tree-ensemble.js'
import { fitGradientBoosting, predictGradientBoosting } from './gradient-boosting.js'

/** scikit-learn's HistGradientBoostingClassifier under its own parameter names and defaults. */
export const gradientBoostingTrainer: TabularTrainer = {
  name: 'gbt',
  params: {
    learning_rate: {
      kind: 'number',
      default: 0.1,
      min: 0,
      exclusiveMin: true,
      doc: 'shrinkage of each tree',
    },
    max_iter: { kind: 'integer', default: 100, min: 1, doc: 'boosting iterations at most' },
    max_leaf_nodes: {
      kind: 'integer',
      default: 31,
      min: 2,
      doc: 'leaves per tree at most (grown best first)',
    },
    max_depth: { kind: 'integer', default: null, min: 1, doc: 'depth per tree at most; null: no limit' },
    min_samples_leaf: { kind: 'integer', default: 20, min: 1, doc: 'training rows per leaf at least' },
    l2_regularization: { kind: 'number', default: 0, min: 0, doc: 'L2 penalty on leaf values' },
    max_bins: { kind: 'integer', default: 255, min: 2, max: 255, doc: 'histogram bins per feature' },
    early_stopping: {
      kind: 'choice',
      default: 'auto',
      choices: ['auto', 'on', 'off'],
      doc: 'stop when the validation loss stalls; auto: on above 10,000 rows',
    },
    validation_fraction: {
      kind: 'number',
      default: 0.1,
      min: 0,
      max: 0.9,
      exclusiveMin: true,
      doc: 'share of training rows held out for early stopping',
    },
    n_iter_no_change: { kind: 'integer', default: 10, min: 1, doc: 'iterations without improvement to stop' },
    tol: { kind: 'number', default: 1e-7, min: 0, doc: 'validation loss improvement that counts' },
  },
  fit({ x, rows, y, classes, specs, params, seed, onProgress }) {
    const curve: TrainProgress[] = []
    const maxIter = params.max_iter as number
    const model = fitGradientBoosting(x, rows, y, classes.length, specs, {
      learningRate: params.learning_rate as number,
      maxIter,
      maxLeafNodes: params.max_leaf_nodes as number,
      maxDepth: params.max_depth as number | null,
      minSamplesLeaf: params.min_samples_leaf as number,
      l2Regularization: params.l2_regularization as number,
      maxBins: params.max_bins as number,
      earlyStopping: params.early_stopping as 'auto' | 'on' | 'off',
      validationFraction: params.validation_fraction as number,
      nIterNoChange: params.n_iter_no_change as number,
      tol: params.tol as number,
      seed,
      onIteration: ({ iteration, trainLoss, validationLoss }) => {
        const point: TrainProgress = {
          unit: 'iteration',
          step: iteration,
          total: maxIter,
          trainLoss,
          ...(validationLoss === undefined ? {} : { validationLoss }),
        }
        curve.push(point)
        onProgress?.(point)
      },
    })
    const binary = classes.length === 2
    return {
      onnx: exportTreeEnsemble(specs, {
        classes,
        trees: model.trees,
        treeClass: binary ? () => 0 : (t) => t % classes.length,
        postTransform: binary ? 'LOGISTIC' : 'SOFTMAX',
        baseValues: model.baseline,
      }),
      predictProba: (matrix, count) => predictGradientBoosting(model, matrix, count),
      curve,
      importances: model.gains,
      details: {
        iterations: model.iterations,
        trees: model.trees.length,
        early_stopped: model.earlyStopped,
        leaves: model.trees.reduce((n, t) => n + t.left.filter((l) => l === -1).length, 0),
      },
    }
  },
}
