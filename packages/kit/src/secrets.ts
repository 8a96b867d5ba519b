import * as core from '@actions/core'

/**
 * Registers a value with the runner so it shows as *** in the log.
 * The runner matches masks within a single log line, so a multi-line value (a PEM key, a JSON
 * credential) is also masked line by line, and its JSON-escaped form is masked because that is how
 * it appears when logged inside JSON.
 */
export function maskSecret(value: string): void {
  if (value.trim() === '') return
  const masks = new Set<string>([value])
  for (const line of value.split(/\r?\n/)) {
    if (line.trim() !== '') masks.add(line)
  }
  masks.add(JSON.stringify(value).slice(1, -1))
  for (const mask of masks) core.setSecret(mask)
}
