import * as core from '@actions/core'

/** Logs about ten progress lines per fit, however many iterations it runs. */
export function progressLogger(
  label: string,
): (p: { step: number; total?: number; trainLoss?: number; unit: string }) => void {
  let next = 1
  return ({ step, total, trainLoss, unit }) => {
    if (step < next && step !== total) return
    next = step + Math.max(1, Math.floor((total ?? 100) / 10))
    const loss = trainLoss === undefined ? '' : `, loss ${trainLoss.toFixed(5)}`
    core.info(`${label}: ${unit} ${step}${total ? `/${total}` : ''}${loss}`)
  }
}
