import { MlflowError } from './errors.js'
import type { Experiment } from './types.js'

/** A deleted experiment keeps its name, so "create" fails and "get" finds it: say how to get out. */
export function usableExperiment(experiment: Experiment): Experiment {
  if (experiment.lifecycleStage === 'deleted') {
    throw new MlflowError(
      `Experiment '${experiment.name}' (id ${experiment.experimentId}) is deleted. Restore it ` +
        `(mlflow experiments restore --experiment-id ${experiment.experimentId}) or choose another experiment name.`,
      { status: 400, errorCode: 'INVALID_STATE' },
    )
  }
  return experiment
}
