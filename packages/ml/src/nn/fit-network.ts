import type { TrainProgress } from '../train/trainer.js'
import { mulberry32 } from '../train/seeded-random.js'
import type { InputShape, Network } from './network.js'
import { NetworkVariables } from './tfjs-network.js'
import { tf, useCpuBackend } from './tfjs-cpu.js'

export { predictNetwork } from './tfjs-network.js'
export { TFJS_VERSION } from './tfjs-cpu.js'

export interface FitNetworkOptions {
  /** Inputs already normalised as the exported graph normalises them, row-major, `rows` x prod(shape). */
  x: Float32Array
  /** Class index per row. */
  y: Int32Array
  rows: number
  shape: InputShape
  classes: number
  /** Initial weights (see initNetwork). */
  network: Network
  epochs: number
  batchSize: number
  learningRate: number
  /** L2 strength on weights, as sklearn MLPClassifier's alpha: 0.5 * alpha * ||W||^2 / batch size. */
  alpha: number
  /** Share of rows held out for early stopping; 0 trains on every row for all epochs. */
  validationFraction: number
  /** Epochs without a validation-loss improvement of more than `tol` before stopping. */
  patience: number
  tol: number
  seed: number
  onProgress?: (progress: TrainProgress) => void
}

export interface FitNetworkResult {
  /** The weights of the best epoch by validation loss (the last epoch without validation). */
  network: Network
  curve: TrainProgress[]
  epochs: number
  bestEpoch: number
  stoppedEarly: boolean
}

/** Fisher-Yates with a seeded generator: the same order on every machine. */
function shuffle(indices: Int32Array, random: () => number): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = indices[i]!
    indices[i] = indices[j]!
    indices[j] = t
  }
}

/** Mean cross-entropy of rows, in chunks so large validation sets stay small in memory. */
function meanLoss(
  variables: NetworkVariables,
  x: Float32Array,
  y: Int32Array,
  rows: Int32Array,
  shape: InputShape,
  classes: number,
): number {
  const size = shape.reduce((a, b) => a * b, 1)
  let total = 0
  const CHUNK = 1024
  for (let start = 0; start < rows.length; start += CHUNK) {
    const part = rows.subarray(start, Math.min(rows.length, start + CHUNK))
    total += tf.tidy(() => {
      const { xs, ys } = gather(x, y, part, size, shape, classes)
      const loss = tf.losses.softmaxCrossEntropy(ys, variables.logits(xs), undefined, 0, tf.Reduction.SUM)
      return loss.dataSync()[0]!
    })
  }
  return total / rows.length
}

function gather(
  x: Float32Array,
  y: Int32Array,
  rows: Int32Array,
  size: number,
  shape: InputShape,
  classes: number,
): { xs: tf.Tensor; ys: tf.Tensor2D } {
  const batch = new Float32Array(rows.length * size)
  const labels = new Int32Array(rows.length)
  rows.forEach((r, i) => {
    batch.set(x.subarray(r * size, (r + 1) * size), i * size)
    labels[i] = y[r]!
  })
  return {
    xs: tf.tensor(batch, [rows.length, ...shape]),
    ys: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as tf.Tensor2D,
  }
}

/**
 * Mini-batch Adam on softmax cross-entropy with an L2 penalty, on the tfjs cpu backend. Shuffling and the
 * validation split come from mulberry32(seed), the initial weights from the caller, so one seed gives one model.
 * One progress point per epoch.
 */
export async function fitNetwork(options: FitNetworkOptions): Promise<FitNetworkResult> {
  useCpuBackend()
  const { x, y, rows, shape, classes } = options
  const size = shape.reduce((a, b) => a * b, 1)
  if (x.length !== rows * size) throw new Error(`${x.length} inputs for ${rows} rows of ${size}`)
  const random = mulberry32(options.seed ^ 0x5bd1e995)
  const order = Int32Array.from({ length: rows }, (_, i) => i)
  shuffle(order, random)
  const validationCount =
    options.validationFraction > 0 ? Math.max(1, Math.round(rows * options.validationFraction)) : 0
  if (rows - validationCount < 1) throw new Error(`${rows} rows leave none to train on after validation`)
  const validation = order.slice(0, validationCount)
  const train = order.slice(validationCount)

  const variables = new NetworkVariables(options.network)
  const optimizer = tf.train.adam(options.learningRate)
  const curve: TrainProgress[] = []
  let best = { loss: Infinity, epoch: 0, network: undefined as Network | undefined }
  let stale = 0
  let epoch = 0
  try {
    for (epoch = 1; epoch <= options.epochs; epoch++) {
      shuffle(train, random)
      let lossSum = 0
      for (let start = 0; start < train.length; start += options.batchSize) {
        const batch = train.subarray(start, Math.min(train.length, start + options.batchSize))
        lossSum += tf.tidy(() => {
          const { xs, ys } = gather(x, y, batch, size, shape, classes)
          // The reported training loss is the objective minimised: cross-entropy plus the L2 penalty.
          const cost = optimizer.minimize(
            () => {
              const loss = tf.losses.softmaxCrossEntropy(ys, variables.logits(xs))
              const penalty = tf.mul(variables.squaredWeights(), (0.5 * options.alpha) / batch.length)
              return tf.add(loss, penalty) as tf.Scalar
            },
            true,
            variables.variables,
          )
          return cost!.dataSync()[0]! * batch.length
        })
      }
      const point: TrainProgress = {
        unit: 'epoch',
        step: epoch,
        total: options.epochs,
        trainLoss: lossSum / train.length,
      }
      if (validationCount > 0) {
        point.validationLoss = meanLoss(variables, x, y, validation, shape, classes)
        if (point.validationLoss < best.loss - options.tol) {
          best = { loss: point.validationLoss, epoch, network: variables.snapshot() }
          stale = 0
        } else {
          stale++
        }
      }
      curve.push(point)
      options.onProgress?.(point)
      if (validationCount > 0 && stale >= options.patience) break
    }
    const ran = Math.min(epoch, options.epochs)
    const network = best.network ?? variables.snapshot()
    return {
      network,
      curve,
      epochs: ran,
      bestEpoch: best.network ? best.epoch : ran,
      stoppedEarly: ran < options.epochs,
    }
  } finally {
    optimizer.dispose()
    variables.dispose()
  }
}
