import { isMap, isSeq } from 'yaml'
import { GREATER_IS_BETTER, scoreClassifier, type MetricName } from '../score.js'
import { resolveParams, type ParamSpec, type ParamValue, type Params } from './params.js'
import { mulberry32 } from './seeded-random.js'
import { parseYamlWithLines, YamlFileError } from '../yaml-file-error.js'

/** A value range sampled by random search; `log` samples evenly in log space (learning rates, C). */
export interface ParamRange {
  min: number
  max: number
  log?: boolean
  integer?: boolean
}

export interface SearchSpace {
  strategy: 'grid' | 'random'
  /** Random search: how many trials. */
  trials: number
  /** k-fold cross-validation on the training split; 0 means one holdout of `holdout` share instead. */
  folds: number
  holdout: number
  metric: MetricName | undefined
  /** Per parameter, a list of choices or (random search only) a range. */
  params: Record<string, ParamValue[] | ParamRange>
  /** Line of each parameter in the file, for messages. */
  lines: Record<string, number>
  file: string
}

/** A search-space file the user got wrong: names the file, the line and the key. */
export class SearchSpaceError extends YamlFileError {}

const TOP_LEVEL = ['strategy', 'trials', 'folds', 'holdout', 'metric', 'params']

/**
 * Reads a search space:
 *
 *     strategy: random        # or grid (default)
 *     trials: 20              # random only
 *     folds: 3                # k-fold on the training split (default 3); or `holdout: 0.2`
 *     metric: roc_auc         # default: the task's primary metric
 *     params:
 *       C: [0.1, 1, 10]
 *       learning_rate: { min: 0.01, max: 0.3, log: true }
 */
export function parseSearchSpace(text: string, file: string): SearchSpace {
  const { doc, lineOf } = parseYamlWithLines(text, file, SearchSpaceError)
  if (!isMap(doc.contents))
    throw new SearchSpaceError('a search space is a mapping with a params: key', file, 1)
  const space: SearchSpace = {
    strategy: 'grid',
    trials: 10,
    folds: 3,
    holdout: 0,
    metric: undefined,
    params: {},
    lines: {},
    file,
  }
  for (const pair of doc.contents.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key)
    const line = lineOf(pair.key)
    const value = (pair.value as { toJSON?: () => unknown })?.toJSON?.() ?? (pair.value as unknown)
    const fail = (expected: string): never => {
      throw new SearchSpaceError(`'${key}' must be ${expected}, got ${JSON.stringify(value)}`, file, line)
    }
    switch (key) {
      case 'strategy':
        if (value !== 'grid' && value !== 'random') fail('grid or random')
        space.strategy = value as 'grid' | 'random'
        break
      case 'trials':
        if (!Number.isInteger(value) || (value as number) < 1) fail('a whole number >= 1')
        space.trials = value as number
        break
      case 'folds':
        if (!Number.isInteger(value) || (value as number) < 2) fail('a whole number >= 2')
        space.folds = value as number
        break
      case 'holdout':
        if (typeof value !== 'number' || !(value > 0 && value < 1)) fail('a share between 0 and 1')
        space.holdout = value as number
        space.folds = 0
        break
      case 'metric':
        if (typeof value !== 'string' || !(value in GREATER_IS_BETTER))
          fail(`one of ${Object.keys(GREATER_IS_BETTER).join(', ')}`)
        space.metric = value as MetricName
        break
      case 'params': {
        if (!isMap(pair.value)) fail('a mapping of parameter names to lists or ranges')
        for (const item of (pair.value as { items: Array<{ key: unknown; value: unknown }> }).items) {
          const name = String((item.key as { value?: unknown })?.value ?? item.key)
          const at = lineOf(item.key)
          space.lines[name] = at
          const choices = (item.value as { toJSON?: () => unknown })?.toJSON?.()
          if (isSeq(item.value) && Array.isArray(choices) && choices.length > 0) {
            space.params[name] = choices as ParamValue[]
          } else if (isMap(item.value) && isRange(choices)) {
            space.params[name] = choices
          } else {
            throw new SearchSpaceError(
              `parameter '${name}' must be a list of values or a range { min, max, log?, integer? }`,
              file,
              at,
            )
          }
        }
        break
      }
      default:
        throw new SearchSpaceError(`unknown key '${key}'; expected ${TOP_LEVEL.join(', ')}`, file, line)
    }
  }
  if (Object.keys(space.params).length === 0)
    throw new SearchSpaceError('params: lists no parameter to search', file, 1)
  if (space.strategy === 'grid') {
    const range = Object.entries(space.params).find(([, v]) => !Array.isArray(v))
    if (range)
      throw new SearchSpaceError(
        `grid search needs a list of values for '${range[0]}', not a range`,
        file,
        space.lines[range[0]]!,
      )
  }
  return space
}

function isRange(value: unknown): value is ParamRange {
  const r = value as ParamRange
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.min === 'number' &&
    typeof r.max === 'number' &&
    r.min < r.max &&
    (!r.log || r.min > 0) &&
    Object.keys(r).every((k) => ['min', 'max', 'log', 'integer'].includes(k))
  )
}

/** The candidate parameter sets: the full grid in order, or `trials` seeded random draws. */
export function searchCandidates(
  space: SearchSpace,
  specs: Readonly<Record<string, ParamSpec>>,
  model: string,
  seed: number,
): Params[] {
  let raw: Array<Record<string, ParamValue>>
  if (space.strategy === 'grid') {
    raw = [{}]
    for (const [name, values] of Object.entries(space.params)) {
      raw = raw.flatMap((partial) => (values as ParamValue[]).map((v) => ({ ...partial, [name]: v })))
    }
  } else {
    const random = mulberry32(seed)
    raw = Array.from({ length: space.trials }, () =>
      Object.fromEntries(
        Object.entries(space.params).map(([name, choice]) => {
          if (Array.isArray(choice)) return [name, choice[Math.floor(random() * choice.length)]!]
          const u = random()
          const x = choice.log
            ? Math.exp(Math.log(choice.min) + u * (Math.log(choice.max) - Math.log(choice.min)))
            : choice.min + u * (choice.max - choice.min)
          return [name, choice.integer ? Math.round(x) : x]
        }),
      ),
    )
  }
  return raw.map((candidate) => {
    try {
      return resolveParams(specs, candidate, model)
    } catch (error) {
      const param = (error as { param?: string }).param
      const line = param ? (space.lines[param] ?? 1) : 1
      throw new SearchSpaceError((error as Error).message, space.file, line)
    }
  })
}

/** Seeded k folds over row positions: fold f validates on positions with `assignment === f`. */
export function kFolds(rows: number, folds: number, seed: number): Int32Array {
  const random = mulberry32(seed)
  const order = Array.from({ length: rows }, (_, i) => i)
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const assignment = new Int32Array(rows)
  order.forEach((row, position) => (assignment[row] = position % folds))
  return assignment
}

/** Mean validation score of a parameter set, higher is better after `direction`. */
export function validationScore(
  metric: MetricName,
  actual: Int32Array,
  probabilities: Float64Array,
  classCount: number,
): number {
  const value = scoreClassifier(actual, probabilities, classCount).metrics[metric]
  if (value === undefined) throw new Error(`metric ${metric} is not defined for ${classCount} classes`)
  return value
}
