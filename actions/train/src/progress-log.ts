import * as core from '@actions/core'
import type { TrainProgress } from '@mlops/ml'

/**
 * Logs about ten progress lines per fit, however many iterations it runs, with the validation loss when the
 * trainer keeps one: that is the number early stopping watches.
 */
export function progressLogger(label: string): (p: TrainProgress) => void {
  let next = 1
  return ({ step, total, trainLoss, validationLoss, unit }) => {
    if (step < next && step !== total) return
    next = step + Math.max(1, Math.floor((total ?? 100) / 10))
    const loss = trainLoss === undefined ? '' : `, loss ${trainLoss.toFixed(5)}`
    const validation = validationLoss === undefined ? '' : `, validation loss ${validationLoss.toFixed(5)}`
    core.info(`${label}: ${unit} ${step}${total ? `/${total}` : ''}${loss}${validation}`)
  }
}
