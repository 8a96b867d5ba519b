import type { TabularTrainer } from '../train/trainer.js'
import { exportMlpClassifier } from './export-network.js'
import { initNetwork } from './network.js'

/**
 * A multi-layer perceptron trained with TF.js (cpu backend) under scikit-learn MLPClassifier's parameter
 * names: ReLU hidden layers, softmax output, Adam, L2 `alpha`. One departure: early stopping is on by default,
 * because a full 200 epochs over 100k rows in JavaScript is minutes of work that rarely helps.
 */
export const mlpTrainer: TabularTrainer = {
  name: 'mlp',
  params: {
    hidden_layer_sizes: { kind: 'integers', default: [100], min: 1, doc: 'units per hidden layer' },
    alpha: { kind: 'number', default: 1e-4, min: 0, doc: 'L2 penalty on the weights, as sklearn' },
    learning_rate_init: { kind: 'number', default: 1e-3, min: 0, exclusiveMin: true, doc: 'Adam step size' },
    batch_size: {
      kind: 'integer',
      default: null,
      min: 1,
      doc: 'rows per step; null: min(200, rows), as sklearn',
    },
    max_iter: { kind: 'integer', default: 200, min: 1, doc: 'epochs at most' },
    early_stopping: { kind: 'boolean', default: true, doc: 'stop when the validation loss stops improving' },
    validation_fraction: {
      kind: 'number',
      default: 0.1,
      min: 0,
      max: 0.5,
      exclusiveMin: true,
      doc: 'share of the training rows held out for early stopping',
    },
    n_iter_no_change: {
      kind: 'integer',
      default: 10,
      min: 1,
      doc: 'epochs without improvement before stopping',
    },
    tol: { kind: 'number', default: 1e-4, min: 0, doc: 'smallest validation-loss decrease that counts' },
  },
  async fit({ x, rows, features, y, classes, specs, params, seed, onProgress }) {
    const shape = [features] as const
    const network = initNetwork(
      shape,
      { filters: [], kernel: 1, hidden: params.hidden_layer_sizes as number[], classes: classes.length },
      seed,
    )
    const inputs = Float32Array.from(x)
    // TF.js loads only when a network is trained, so importing @mlops/ml stays light for everything else.
    const { fitNetwork, predictNetwork, TFJS_VERSION } = await import('./fit-network.js')
    const result = await fitNetwork({
      x: inputs,
      y,
      rows,
      shape,
      classes: classes.length,
      network,
      epochs: params.max_iter as number,
      batchSize: (params.batch_size as number | null) ?? Math.min(200, rows),
      learningRate: params.learning_rate_init as number,
      alpha: params.alpha as number,
      validationFraction: params.early_stopping ? (params.validation_fraction as number) : 0,
      patience: params.n_iter_no_change as number,
      tol: params.tol as number,
      seed,
      ...(onProgress ? { onProgress } : {}),
    })
    return {
      onnx: exportMlpClassifier(specs, result.network, classes),
      predictProba: (matrix, count) =>
        predictNetwork(result.network, Float32Array.from(matrix), count, shape),
      curve: result.curve,
      details: {
        epochs: result.epochs,
        best_epoch: result.bestEpoch,
        stopped_early: result.stoppedEarly,
        tfjs: TFJS_VERSION,
      },
    }
  },
}
