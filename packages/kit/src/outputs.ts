import * as core from '@actions/core'

const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** Sets several step outputs at once; values are written as plain strings (`true`, `0.93`). */
export function setOutputs(record: Record<string, string | number | boolean>): void {
  for (const [name, value] of Object.entries(record)) {
    // A bad name is silently unreachable from `steps.<id>.outputs`, so fail loudly instead.
    if (!OUTPUT_NAME.test(name)) throw new Error(`Invalid output name '${name}'`)
    core.setOutput(name, String(value))
  }
}
