import type { TabularTrainer, TrainProgress } from '../train/trainer.js'
import { exportTreeEnsemble } from './export-tree-ensemble.js'
import { fitRandomForest, predictRandomForest } from './random-forest.js'

/** scikit-learn's RandomForestClassifier (Gini) under its own parameter names and defaults. */
export const randomForestTrainer: TabularTrainer = {
  name: 'random_forest',
  params: {
    n_estimators: { kind: 'integer', default: 100, min: 1, doc: 'trees in the forest' },
    max_depth: { kind: 'integer', default: null, min: 1, doc: 'depth per tree at most; null: until pure' },
    min_samples_split: { kind: 'integer', default: 2, min: 2, doc: 'rows a node needs to be split' },
    min_samples_leaf: { kind: 'integer', default: 1, min: 1, doc: 'rows per leaf at least' },
    max_features: {
      kind: 'choice',
      default: 'sqrt',
      choices: ['sqrt', 'log2', 'all'],
      doc: 'features tried per split',
    },
    bootstrap: { kind: 'boolean', default: true, doc: 'each tree on a bootstrap sample of the rows' },
    max_bins: {
      kind: 'integer',
      default: 255,
      min: 2,
      max: 255,
      doc: 'candidate thresholds per feature + 1',
    },
  },
  fit({ x, rows, y, classes, specs, params, seed, onProgress }) {
    const curve: TrainProgress[] = []
    const total = params.n_estimators as number
    const model = fitRandomForest(x, rows, y, classes.length, specs, {
      nEstimators: total,
      maxDepth: params.max_depth as number | null,
      minSamplesSplit: params.min_samples_split as number,
      minSamplesLeaf: params.min_samples_leaf as number,
      maxFeatures: params.max_features as 'sqrt' | 'log2' | 'all',
      bootstrap: params.bootstrap as boolean,
      maxBins: params.max_bins as number,
      seed,
      onTree: ({ tree }) => {
        const point: TrainProgress = { unit: 'iteration', step: tree, total }
        curve.push(point)
        onProgress?.(point)
      },
    })
    return {
      // Leaves already hold class share / tree count, so the ensemble's plain sum is the forest's average.
      onnx: exportTreeEnsemble(specs, {
        classes,
        trees: model.trees,
        treeClass: null,
        postTransform: 'NONE',
        baseValues: [],
      }),
      predictProba: (matrix, count) => predictRandomForest(model, matrix, count),
      curve,
      importances: model.impurityDecrease,
      details: {
        trees: model.trees.length,
        nodes: model.trees.reduce((n, t) => n + t.left.length, 0),
      },
    }
  },
}
