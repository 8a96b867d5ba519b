import * as core from '@actions/core'
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigurationError } from './errors.js'
import { maskSecret } from './secrets.js'

// Every reader goes through core.getInput so names map to env the way the runner sets them
// (INPUT_<NAME>, upper-cased, spaces to underscores) and values arrive trimmed.
function readInput(name: string): string {
  return core.getInput(name)
}

export function getRequiredInput(name: string): string {
  const value = readInput(name)
  if (value === '') {
    throw new ConfigurationError(
      `Input '${name}' is required but was empty or not set. Set it under 'with:' in the workflow step.`,
    )
  }
  return value
}

export function getOptionalInput(name: string): string | undefined {
  const value = readInput(name)
  return value === '' ? undefined : value
}

const TRUE_VALUES = ['true', 'True', 'TRUE']
const FALSE_VALUES = ['false', 'False', 'FALSE']

/** Strict on purpose: 'yes' or '1' silently meaning false would hide a typo in the workflow. */
export function getBooleanInput(name: string, defaultValue: boolean): boolean {
  const value = readInput(name)
  if (value === '') return defaultValue
  if (TRUE_VALUES.includes(value)) return true
  if (FALSE_VALUES.includes(value)) return false
  throw new ConfigurationError(
    `Input '${name}' must be true or false, got '${value}'. Accepted: ${[...TRUE_VALUES, ...FALSE_VALUES].join(', ')}.`,
  )
}

export interface NumberInputOptions {
  default?: number
  min?: number
  max?: number
  integer?: boolean
}

// Plain decimal or exponent notation only: Number() would also accept '0x10', '0b1' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

export function getNumberInput(name: string, opts: NumberInputOptions = {}): number {
  const { min, max, integer = false } = opts
  if (min !== undefined && max !== undefined && min > max) {
    throw new Error(`getNumberInput('${name}'): min ${min} is greater than max ${max}`)
  }
  const kind = integer ? 'a whole number' : 'a number'
  const range = describeRange(min, max)
  const expected = range === '' ? kind : `${kind} ${range}`
  const raw = readInput(name)
  if (raw === '') {
    if (opts.default !== undefined) return opts.default
    throw new ConfigurationError(`Input '${name}' is required: set it to ${expected}.`)
  }
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isFinite(value)) {
    throw new ConfigurationError(`Input '${name}' must be ${expected}, got '${raw}'.`)
  }
  if (integer && !Number.isInteger(value)) {
    throw new ConfigurationError(`Input '${name}' must be ${expected}, got '${raw}' which has a fraction.`)
  }
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    throw new ConfigurationError(`Input '${name}' must be ${expected}, got ${raw}.`)
  }
  return value
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`
  if (min !== undefined) return `of at least ${min}`
  if (max !== undefined) return `of at most ${max}`
  return ''
}

/** Accepts one item per line (YAML block scalars) or comma-separated, or both. */
export function getListInput(name: string): string[] {
  return readInput(name)
    .split(/[\r\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** Matches case-insensitively but returns the spelling from `allowed`, so callers can switch on it. */
export function getEnumInput<T extends string>(name: string, allowed: readonly T[], defaultValue?: T): T {
  const raw = readInput(name)
  const choices = allowed.map((value) => `'${value}'`).join(', ')
  if (raw === '') {
    if (defaultValue !== undefined) return defaultValue
    throw new ConfigurationError(`Input '${name}' is required: set it to one of ${choices}.`)
  }
  const match = allowed.find((value) => value.toLowerCase() === raw.toLowerCase())
  if (match === undefined) {
    throw new ConfigurationError(`Input '${name}' must be one of ${choices}, got '${raw}'.`)
  }
  return match
}

export interface PathInputOptions {
  required?: boolean
  mustExist?: 'file' | 'directory' | 'any'
}

/**
 * Resolves a path input against the workspace (where actions/checkout puts the repository), not the
 * process cwd, which for a JavaScript action is not guaranteed to be the workspace.
 */
export function getPathInput(name: string, opts: PathInputOptions & { required: true }): string
export function getPathInput(name: string, opts?: PathInputOptions): string | undefined
export function getPathInput(name: string, opts: PathInputOptions = {}): string | undefined {
  const raw = opts.required ? getRequiredInput(name) : getOptionalInput(name)
  if (raw === undefined) return undefined
  const base = process.env['GITHUB_WORKSPACE'] || process.cwd()
  const path = resolve(base, raw)
  if (opts.mustExist === undefined) return path

  const stats = statSync(path, { throwIfNoEntry: false })
  if (stats === undefined) {
    throw new ConfigurationError(
      `Input '${name}' is '${raw}', which resolves to ${path}, but nothing exists there. ` +
        `Relative paths are resolved against ${base}; check the path and that the file was checked out or created by an earlier step.`,
    )
  }
  if (opts.mustExist === 'file' && !stats.isFile()) {
    const what = stats.isDirectory() ? 'a directory' : 'not a regular file'
    throw new ConfigurationError(`Input '${name}' must be a file, but ${path} is ${what}.`)
  }
  if (opts.mustExist === 'directory' && !stats.isDirectory()) {
    throw new ConfigurationError(`Input '${name}' must be a directory, but ${path} is a file.`)
  }
  return path
}

export interface SecretInputOptions {
  required?: boolean
}

/** Masks the value before anyone can log it; the value is never quoted in an error. */
export function getSecretInput(name: string, opts: SecretInputOptions & { required: true }): string
export function getSecretInput(name: string, opts?: SecretInputOptions): string | undefined
export function getSecretInput(name: string, opts: SecretInputOptions = {}): string | undefined {
  const value = opts.required ? getRequiredInput(name) : getOptionalInput(name)
  if (value !== undefined) maskSecret(value)
  return value
}
