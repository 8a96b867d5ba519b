import { isMap } from 'yaml'
import { GREATER_IS_BETTER, type MetricName } from '../score.js'
import { parseYamlWithLines, YamlFileError } from '../yaml-file-error.js'

/** What the gate measures besides the classification metrics; both are better when lower. */
export const RUNTIME_MEASURES = {
  latency_ms_per_row: false,
  model_size_bytes: false,
} as const

export type GateMeasure = MetricName | keyof typeof RUNTIME_MEASURES

export const GATE_MEASURES: Readonly<Record<GateMeasure, boolean>> = {
  ...GREATER_IS_BETTER,
  ...RUNTIME_MEASURES,
}

/**
 * Rules for one measure. Changes are signed in the measure's better direction (an improvement is positive,
 * whether the measure goes up or down), so `min_change: -0.01` reads "may be at most 0.01 worse".
 */
export interface MeasureRule {
  /** Absolute floor of the candidate's value. */
  min?: number
  /** Absolute ceiling of the candidate's value. */
  max?: number
  /** Least improvement over the baseline, in the measure's units. */
  minChange?: number
  /** Least improvement over the baseline as a share of the baseline's value (-0.02 = at most 2% worse). */
  minRelativeChange?: number
  greaterIsBetter: boolean
  /** Where the rule was written, for messages. */
  line?: number
}

export interface GateThresholds {
  /** The measure the bootstrap interval and the significance requirement are about; default from the task. */
  primary: MetricName | undefined
  confidence: number
  resamples: number
  seed: number
  requireSignificance: boolean
  rules: Partial<Record<GateMeasure, MeasureRule>>
  /** Where the thresholds came from ('defaults', a file, an input). */
  source: string
}

export const DEFAULT_THRESHOLDS: Omit<GateThresholds, 'rules' | 'source'> = {
  primary: undefined,
  confidence: 0.95,
  resamples: 1000,
  seed: 42,
  requireSignificance: false,
}

/** A thresholds file the user got wrong: names the file (or input), the line and the key. */
export class ThresholdsError extends YamlFileError {}

const TOP_LEVEL = ['primary', 'confidence', 'resamples', 'seed', 'require_significance', 'metrics']
const RULE_KEYS = ['min', 'max', 'min_change', 'min_relative_change', 'greater_is_better']

/**
 * Reads gate thresholds:
 *
 *     primary: roc_auc              # default: roc_auc (binary) or f1_macro (multiclass)
 *     confidence: 0.95              # of the paired bootstrap interval
 *     resamples: 1000
 *     require_significance: false   # true: pass only when the primary metric is significantly better
 *     metrics:
 *       roc_auc: { min: 0.65, min_change: -0.005 }
 *       log_loss: { max: 0.45, min_relative_change: -0.02 }
 *       latency_ms_per_row: { max: 0.5 }
 */
export function parseGateThresholds(text: string, file: string): GateThresholds {
  const { doc, lineOf } = parseYamlWithLines(text, file, ThresholdsError)
  const thresholds: GateThresholds = { ...DEFAULT_THRESHOLDS, rules: {}, source: file }
  if (doc.contents === null) return thresholds
  if (!isMap(doc.contents)) throw new ThresholdsError('thresholds are a mapping with a metrics: key', file, 1)
  for (const pair of doc.contents.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key)
    const line = lineOf(pair.key)
    const value = (pair.value as { toJSON?: () => unknown })?.toJSON?.() ?? (pair.value as unknown)
    const fail = (expected: string): never => {
      throw new ThresholdsError(`'${key}' must be ${expected}, got ${JSON.stringify(value)}`, file, line)
    }
    switch (key) {
      case 'primary':
        if (typeof value !== 'string' || !(value in GREATER_IS_BETTER))
          fail(`one of ${Object.keys(GREATER_IS_BETTER).join(', ')}`)
        thresholds.primary = value as MetricName
        break
      case 'confidence':
        if (typeof value !== 'number' || !(value >= 0.5 && value < 1))
          fail('a level between 0.5 and 1, e.g. 0.95')
        thresholds.confidence = value as number
        break
      case 'resamples':
        if (!Number.isInteger(value) || (value as number) < 100 || (value as number) > 100_000)
          fail('a whole number between 100 and 100000')
        thresholds.resamples = value as number
        break
      case 'seed':
        if (!Number.isInteger(value) || (value as number) < 0) fail('a whole number >= 0')
        thresholds.seed = value as number
        break
      case 'require_significance':
        if (typeof value !== 'boolean') fail('true or false')
        thresholds.requireSignificance = value as boolean
        break
      case 'metrics': {
        if (!isMap(pair.value)) fail('a mapping of metric names to rules')
        for (const item of (pair.value as { items: Array<{ key: unknown; value: unknown }> }).items) {
          const name = String((item.key as { value?: unknown })?.value ?? item.key)
          thresholds.rules[checkMeasure(name, file, lineOf(item.key))] = parseRule(
            name,
            item.value,
            file,
            lineOf(item.key),
            lineOf,
          )
        }
        break
      }
      default:
        throw new ThresholdsError(`unknown key '${key}'; expected ${TOP_LEVEL.join(', ')}`, file, line)
    }
  }
  return thresholds
}

function checkMeasure(name: string, file: string, line: number): GateMeasure {
  if (name in GATE_MEASURES) return name as GateMeasure
  throw new ThresholdsError(
    `unknown metric '${name}'; the gate measures ${Object.keys(GATE_MEASURES).join(', ')}`,
    file,
    line,
  )
}

function parseRule(
  name: string,
  node: unknown,
  file: string,
  line: number,
  lineOf: (node: unknown) => number,
): MeasureRule {
  if (!isMap(node)) {
    throw new ThresholdsError(
      `metric '${name}' needs a mapping of rules (${RULE_KEYS.join(', ')}), e.g. '${name}: { min_change: -0.01 }'`,
      file,
      line,
    )
  }
  const rule: MeasureRule = { greaterIsBetter: GATE_MEASURES[name as GateMeasure], line }
  for (const item of node.items) {
    const key = String((item.key as { value?: unknown })?.value ?? item.key)
    const at = lineOf(item.key)
    const value = (item.value as { toJSON?: () => unknown })?.toJSON?.() ?? (item.value as unknown)
    if (key === 'greater_is_better') {
      if (typeof value !== 'boolean') {
        throw new ThresholdsError(
          `${name}.greater_is_better must be true or false, got ${JSON.stringify(value)}`,
          file,
          at,
        )
      }
      rule.greaterIsBetter = value
      continue
    }
    if (!RULE_KEYS.includes(key)) {
      throw new ThresholdsError(
        `unknown rule '${key}' for ${name}; expected ${RULE_KEYS.join(', ')}`,
        file,
        at,
      )
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ThresholdsError(`${name}.${key} must be a number, got ${JSON.stringify(value)}`, file, at)
    }
    if (key === 'min') rule.min = value
    else if (key === 'max') rule.max = value
    else if (key === 'min_change') rule.minChange = value
    else rule.minRelativeChange = value
  }
  if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) {
    throw new ThresholdsError(
      `${name}: min ${rule.min} is above max ${rule.max}, so nothing could pass`,
      file,
      line,
    )
  }
  return rule
}
