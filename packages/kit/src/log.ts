import * as core from '@actions/core'

export { debug, info, isDebug, notice, warning } from '@actions/core'

/** Runs `fn` inside a collapsible log group; the group is closed even when `fn` throws. */
export function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return core.group(name, fn)
}
