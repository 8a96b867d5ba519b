import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigurationError } from './errors.js'
import {
  getBooleanInput,
  getEnumInput,
  getListInput,
  getNumberInput,
  getOptionalInput,
  getPathInput,
  getRequiredInput,
  getSecretInput,
} from './inputs.js'
import { restoreEnvAfterEach } from './__fixtures__/env.js'
import { captureStdout } from './__fixtures__/workflow-commands.js'

restoreEnvAfterEach()

function fails(read: () => unknown): string {
  try {
    read()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError)
    return (error as Error).message
  }
  throw new Error('expected a ConfigurationError')
}

describe('getRequiredInput / getOptionalInput', () => {
  it('reads INPUT_<NAME> with spaces as underscores, trimmed', () => {
    process.env['INPUT_MODEL_PATH'] = '  models/a.onnx \n'
    expect(getRequiredInput('model path')).toBe('models/a.onnx')
    expect(getOptionalInput('model_path')).toBe('models/a.onnx')
  })

  it('rejects a missing or blank required input, naming it', () => {
    expect(fails(() => getRequiredInput('dataset'))).toMatch(/^Input 'dataset' is required/)
    process.env['INPUT_DATASET'] = '   '
    expect(fails(() => getRequiredInput('dataset'))).toMatch(/^Input 'dataset' is required/)
  })

  it('returns undefined for a missing or blank optional input', () => {
    expect(getOptionalInput('dataset')).toBeUndefined()
    process.env['INPUT_DATASET'] = ' '
    expect(getOptionalInput('dataset')).toBeUndefined()
  })
})

describe('getBooleanInput', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('accepts %s', (raw, expected) => {
    process.env['INPUT_STRICT'] = raw
    expect(getBooleanInput('strict', !expected)).toBe(expected)
  })

  it('uses the default when unset', () => {
    expect(getBooleanInput('strict', true)).toBe(true)
    expect(getBooleanInput('strict', false)).toBe(false)
  })

  it.each(['yes', '1', 'tRuE', 'on'])('rejects %s, quoting it and listing what is accepted', (raw) => {
    process.env['INPUT_STRICT'] = raw
    const message = fails(() => getBooleanInput('strict', false))
    expect(message).toContain(`Input 'strict'`)
    expect(message).toContain(`'${raw}'`)
    expect(message).toContain('true, True, TRUE, false, False, FALSE')
  })
})

describe('getNumberInput', () => {
  it('parses decimals, negatives and exponents', () => {
    process.env['INPUT_THRESHOLD'] = '0.85'
    expect(getNumberInput('threshold', {})).toBe(0.85)
    process.env['INPUT_THRESHOLD'] = '-3'
    expect(getNumberInput('threshold', {})).toBe(-3)
    process.env['INPUT_THRESHOLD'] = '1e3'
    expect(getNumberInput('threshold', {})).toBe(1000)
  })

  it('uses the default when unset and fails without one', () => {
    expect(getNumberInput('threshold', { default: 0.5 })).toBe(0.5)
    expect(fails(() => getNumberInput('threshold', { min: 0, max: 1 }))).toBe(
      "Input 'threshold' is required: set it to a number between 0 and 1.",
    )
  })

  it.each(['abc', '0x10', 'Infinity', '1,5', '--1', '1e'])('rejects %s as not a number', (raw) => {
    process.env['INPUT_THRESHOLD'] = raw
    expect(fails(() => getNumberInput('threshold', {}))).toBe(
      `Input 'threshold' must be a number, got '${raw}'.`,
    )
  })

  it('rejects a fraction when an integer is wanted', () => {
    process.env['INPUT_FOLDS'] = '2.5'
    expect(fails(() => getNumberInput('folds', { integer: true, min: 2 }))).toContain(
      "Input 'folds' must be a whole number of at least 2, got '2.5'",
    )
    process.env['INPUT_FOLDS'] = '5.0'
    expect(getNumberInput('folds', { integer: true })).toBe(5)
  })

  it('enforces the range inclusively and quotes it', () => {
    process.env['INPUT_THRESHOLD'] = '1'
    expect(getNumberInput('threshold', { min: 0, max: 1 })).toBe(1)
    process.env['INPUT_THRESHOLD'] = '1.01'
    expect(fails(() => getNumberInput('threshold', { min: 0, max: 1 }))).toBe(
      "Input 'threshold' must be a number between 0 and 1, got 1.01.",
    )
    process.env['INPUT_THRESHOLD'] = '-1'
    expect(fails(() => getNumberInput('threshold', { min: 0 }))).toContain('of at least 0')
    process.env['INPUT_THRESHOLD'] = '11'
    expect(fails(() => getNumberInput('threshold', { max: 10 }))).toContain('of at most 10')
  })

  it('treats min > max as a programming error, not a user error', () => {
    process.env['INPUT_THRESHOLD'] = '1'
    expect(() => getNumberInput('threshold', { min: 2, max: 1 })).toThrow(/min 2 is greater than max 1/)
    try {
      getNumberInput('threshold', { min: 2, max: 1 })
    } catch (error) {
      expect(error).not.toBeInstanceOf(ConfigurationError)
    }
  })
})

describe('getListInput', () => {
  it('splits on newlines and commas, trims and drops empties', () => {
    process.env['INPUT_COLUMNS'] = 'age, income\n\n  zip ,,\r\nstate\n'
    expect(getListInput('columns')).toEqual(['age', 'income', 'zip', 'state'])
  })

  it('returns an empty list when unset', () => {
    expect(getListInput('columns')).toEqual([])
  })
})

describe('getEnumInput', () => {
  const formats = ['csv', 'parquet', 'jsonl'] as const

  it('matches case-insensitively and returns the allowed spelling', () => {
    process.env['INPUT_FORMAT'] = 'Parquet'
    expect(getEnumInput('format', formats)).toBe('parquet')
  })

  it('uses the default when unset, and fails listing the choices without one', () => {
    expect(getEnumInput('format', formats, 'csv')).toBe('csv')
    expect(fails(() => getEnumInput('format', formats))).toBe(
      "Input 'format' is required: set it to one of 'csv', 'parquet', 'jsonl'.",
    )
  })

  it('rejects other values, quoting the value and listing the choices', () => {
    process.env['INPUT_FORMAT'] = 'xlsx'
    expect(fails(() => getEnumInput('format', formats, 'csv'))).toBe(
      "Input 'format' must be one of 'csv', 'parquet', 'jsonl', got 'xlsx'.",
    )
  })
})

describe('getPathInput', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'kit-inputs-'))
  mkdirSync(join(workspace, 'data'))
  writeFileSync(join(workspace, 'data', 'train.csv'), 'a\n1\n')

  beforeEach(() => {
    process.env['GITHUB_WORKSPACE'] = workspace
  })

  it('resolves a relative path against GITHUB_WORKSPACE', () => {
    process.env['INPUT_DATA'] = 'data/train.csv'
    expect(getPathInput('data', { mustExist: 'file' })).toBe(join(workspace, 'data', 'train.csv'))
  })

  it('resolves against the cwd when GITHUB_WORKSPACE is unset', () => {
    delete process.env['GITHUB_WORKSPACE']
    process.env['INPUT_DATA'] = 'some/file.csv'
    expect(getPathInput('data', {})).toBe(join(process.cwd(), 'some', 'file.csv'))
  })

  it('keeps an absolute path', () => {
    process.env['INPUT_DATA'] = join(workspace, 'data')
    expect(getPathInput('data', { mustExist: 'directory' })).toBe(join(workspace, 'data'))
  })

  it('returns undefined when optional and unset, fails when required', () => {
    expect(getPathInput('data', { mustExist: 'file' })).toBeUndefined()
    expect(fails(() => getPathInput('data', { required: true }))).toMatch(/^Input 'data' is required/)
  })

  it('says the resolved path when it does not exist', () => {
    process.env['INPUT_DATA'] = 'data/missing.csv'
    const message = fails(() => getPathInput('data', { mustExist: 'any' }))
    expect(message).toContain(join(workspace, 'data', 'missing.csv'))
    expect(message).toContain("Input 'data'")
  })

  it('checks the kind of path', () => {
    process.env['INPUT_DATA'] = 'data'
    expect(fails(() => getPathInput('data', { mustExist: 'file' }))).toContain('must be a file')
    process.env['INPUT_DATA'] = 'data/train.csv'
    expect(fails(() => getPathInput('data', { mustExist: 'directory' }))).toContain('must be a directory')
    expect(getPathInput('data', { mustExist: 'any' })).toBe(join(workspace, 'data', 'train.csv'))
  })

  it('does not check existence unless asked', () => {
    process.env['INPUT_OUT'] = 'reports/new'
    expect(getPathInput('out', {})).toBe(join(workspace, 'reports', 'new'))
  })
})

describe('getSecretInput', () => {
  it('masks the value before returning it', () => {
    process.env['INPUT_API_KEY'] = 'sk-123456'
    const stdout = captureStdout()
    try {
      expect(getSecretInput('api key', { required: true })).toBe('sk-123456')
    } finally {
      stdout.restore()
    }
    expect(stdout.commands('add-mask').map((command) => command.message)).toEqual(['sk-123456'])
  })

  it('returns undefined when optional and unset, and fails when required', () => {
    expect(getSecretInput('api key', {})).toBeUndefined()
    expect(fails(() => getSecretInput('api key', { required: true }))).toMatch(/^Input 'api key' is required/)
  })
})
