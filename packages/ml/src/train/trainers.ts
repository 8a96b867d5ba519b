import { gradientBoostingTrainer } from '../trees/gbt-trainer.js'
import { randomForestTrainer } from '../trees/random-forest-trainer.js'
import { mlpTrainer } from '../nn/mlp-trainer.js'
import { logisticRegressionTrainer } from './logistic-regression-trainer.js'
import type { TabularTrainer } from './trainer.js'

/** Every tabular model type by the name users write in `model-type`. */
export const TABULAR_TRAINERS: Readonly<Record<string, TabularTrainer>> = {
  [logisticRegressionTrainer.name]: logisticRegressionTrainer,
  [gradientBoostingTrainer.name]: gradientBoostingTrainer,
  [randomForestTrainer.name]: randomForestTrainer,
  [mlpTrainer.name]: mlpTrainer,
  // The names action.yml documents for the same two trainers.
  'gradient-boosting': gradientBoostingTrainer,
  'random-forest': randomForestTrainer,
}

export class UnknownModelTypeError extends Error {}

export function tabularTrainer(name: string): TabularTrainer {
  const trainer = TABULAR_TRAINERS[name]
  if (!trainer) {
    throw new UnknownModelTypeError(
      `unknown model type '${name}'; choose one of ${Object.keys(TABULAR_TRAINERS).join(', ')}`,
    )
  }
  return trainer
}
