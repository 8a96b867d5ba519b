import type { ActionInput } from './action-manifest.js'

/** The runner's name mangling: `INPUT_` + upper case, spaces to underscores, hyphens kept. */
export const inputEnvName = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`

export class UsageError extends Error {}

/**
 * Builds the INPUT_* environment as the runner would: given values, then action.yml defaults. Unknown inputs
 * are an error here (the runner only warns) because on a laptop a typo should not silently drop a value.
 */
export function inputEnvironment(
  declared: readonly ActionInput[],
  given: Record<string, string>,
  action: string,
): Record<string, string> {
  const env: Record<string, string> = {}
  const names = declared.map((i) => i.name)
  for (const name of Object.keys(given)) {
    if (!names.includes(name)) {
      throw new UsageError(`${action} has no input '${name}'; its inputs are: ${names.join(', ')}`)
    }
  }
  for (const input of declared) {
    const value = given[input.name] ?? input.default
    if (value !== undefined) env[inputEnvName(input.name)] = value
  }
  return env
}

/** `--input a=b` pairs; the value may itself contain '='. */
export function parseInputPairs(pairs: readonly string[]): Record<string, string> {
  const given: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--input expects name=value, got '${pair}'`)
    given[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return given
}
