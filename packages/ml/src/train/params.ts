/** A hyperparameter a trainer accepts, described well enough to validate user YAML and to list in docs. */
export type ParamSpec =
  | { kind: 'number'; default: number; min?: number; max?: number; exclusiveMin?: boolean; doc: string }
  | { kind: 'integer'; default: number | null; min?: number; max?: number; doc: string }
  | { kind: 'boolean'; default: boolean; doc: string }
  | { kind: 'choice'; default: string; choices: readonly string[]; doc: string }
  | { kind: 'integers'; default: number[]; min?: number; doc: string }

export type ParamValue = number | boolean | string | number[] | null
export type Params = Record<string, ParamValue>

/** A hyperparameter the user got wrong: the message names the parameter and what it accepts. */
export class ParamError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message)
    this.name = 'ParamError'
  }
}

/** The user's values over the defaults, each checked against its spec; unknown names are refused. */
export function resolveParams(
  specs: Readonly<Record<string, ParamSpec>>,
  given: Readonly<Record<string, unknown>>,
  model: string,
): Params {
  const known = Object.keys(specs)
  for (const name of Object.keys(given)) {
    if (!(name in specs)) {
      throw new ParamError(`${model} has no parameter '${name}'; it takes ${known.join(', ')}`, name)
    }
  }
  const params: Params = {}
  for (const [name, spec] of Object.entries(specs)) {
    params[name] = name in given ? checkParam(name, spec, given[name], model) : spec.default
  }
  return params
}

function checkParam(name: string, spec: ParamSpec, value: unknown, model: string): ParamValue {
  const fail = (expected: string): never => {
    throw new ParamError(
      `${model} parameter '${name}' must be ${expected}, got ${JSON.stringify(value)}`,
      name,
    )
  }
  const range = (min?: number, max?: number, exclusiveMin?: boolean) =>
    [min === undefined ? '' : `${exclusiveMin ? '>' : '>='} ${min}`, max === undefined ? '' : `<= ${max}`]
      .filter(Boolean)
      .join(' and ')
  switch (spec.kind) {
    case 'number': {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (spec.min === undefined || (spec.exclusiveMin ? value > spec.min : value >= spec.min)) &&
        (spec.max === undefined || value <= spec.max)
      return ok ? value : fail(`a number ${range(spec.min, spec.max, spec.exclusiveMin)}`.trim())
    }
    case 'integer': {
      if (value === null && spec.default === null) return null
      const ok =
        typeof value === 'number' &&
        Number.isInteger(value) &&
        (spec.min === undefined || value >= spec.min) &&
        (spec.max === undefined || value <= spec.max)
      return ok
        ? value
        : fail(`a whole number ${range(spec.min, spec.max)}${spec.default === null ? ' or null' : ''}`.trim())
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false')
    case 'choice':
      return typeof value === 'string' && spec.choices.includes(value)
        ? value
        : fail(`one of ${spec.choices.join(', ')}`)
    case 'integers': {
      const ok =
        Array.isArray(value) &&
        value.length > 0 &&
        value.every(
          (v) => typeof v === 'number' && Number.isInteger(v) && (spec.min === undefined || v >= spec.min),
        )
      return ok
        ? (value as number[])
        : fail(`a non-empty list of whole numbers${spec.min === undefined ? '' : ` >= ${spec.min}`}`)
    }
  }
}
