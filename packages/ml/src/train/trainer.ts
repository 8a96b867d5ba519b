import type { FeatureSpec } from '../onnx/preprocess.js'
import type { ParamSpec, Params } from './params.js'

/** One point of a learning curve: an iteration (boosting, L-BFGS) or an epoch (networks). */
export interface TrainProgress {
  unit: 'iteration' | 'epoch'
  step: number
  /** Upper bound on steps, when the trainer knows it (early stopping may end sooner). */
  total?: number
  trainLoss?: number
  validationLoss?: number
}

/** What every tabular trainer is given: the design matrix the in-graph preprocessing computes, row-major. */
export interface TrainerInput {
  x: Float64Array
  rows: number
  features: number
  /** Class index per row, into `classes`. */
  y: Int32Array
  classes: string[]
  specs: readonly FeatureSpec[]
  params: Params
  seed: number
  onProgress?: (progress: TrainProgress) => void
}

export interface FittedModel {
  /** The whole inference graph: preprocessing, model, `label` and `probabilities` outputs. */
  onnx: Uint8Array
  /** The trainer's own probabilities for rows of a design matrix, row-major [rows x classes]. */
  predictProba(x: Float64Array, rows: number): Float64Array
  curve: TrainProgress[]
  /** Importance per design-matrix column (one-hot columns separately), when the model type has one. */
  importances?: Float64Array
  /** Facts about the fit worth logging: iterations run, whether it converged, trees grown. */
  details: Record<string, number | boolean | string>
}

export interface TabularTrainer {
  /** As users write it in `model-type`. */
  name: string
  params: Readonly<Record<string, ParamSpec>>
  fit(input: TrainerInput): FittedModel | Promise<FittedModel>
}
