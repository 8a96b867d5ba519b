import * as core from '@actions/core'
import { isAbsolute, relative } from 'node:path'
import { inspect } from 'node:util'
import { ConfigurationError } from './errors.js'

type ErrorClass = abstract new (...args: never[]) => Error

export interface RunOptions {
  /** Error classes that, like ConfigurationError, mean the user has something to fix (e.g. DataError). */
  userErrors?: ErrorClass[]
}

/**
 * The entry point of every action: runs `main` and turns whatever it throws into the right report.
 * User mistakes become a single annotation (pointing at the file and line when the error knows them);
 * anything else is our bug and says so. Never throws, so `await run(main)` can end a script.
 */
export async function run(main: () => Promise<void>, options: RunOptions = {}): Promise<void> {
  try {
    await main()
  } catch (error) {
    report(error, [ConfigurationError, ...(options.userErrors ?? [])])
  }
}

function report(error: unknown, userErrors: ErrorClass[]): void {
  const details = describeStack(error)
  if (error instanceof Error && userErrors.some((cls) => error instanceof cls)) {
    core.error(error.message, annotationOf(error))
    // A user error is not a crash: the stack only helps us, so it stays out of the visible log.
    core.debug(details)
    process.exitCode = 1
    return
  }
  core.setFailed(
    `Unexpected error: ${messageOf(error)}. This is a bug in mlops-actions; ` +
      're-run with ACTIONS_STEP_DEBUG=true and report it with the log',
  )
  core.debug(details)
}

// Duck-typed so errors from packages kit does not depend on (DataError) still point at their line.
function annotationOf(error: Error): core.AnnotationProperties {
  const where = error as { file?: unknown; line?: unknown }
  const properties: core.AnnotationProperties = {}
  if (typeof where.file === 'string' && where.file !== '') properties.file = workspaceRelative(where.file)
  if (typeof where.line === 'number' && Number.isInteger(where.line) && where.line > 0) {
    properties.startLine = where.line
  }
  return properties
}

// GitHub places annotations by repository-relative path; errors usually carry the absolute path they opened.
function workspaceRelative(file: string): string {
  const root = process.env.GITHUB_WORKSPACE ?? process.cwd()
  const inside = relative(root, file)
  return isAbsolute(file) && !inside.startsWith('..') && !isAbsolute(inside) ? inside : file
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === 'string') return error
  return inspect(error)
}

function describeStack(error: unknown): string {
  if (!(error instanceof Error)) return `Thrown value: ${inspect(error)}`
  const parts = [error.stack ?? `${error.name}: ${error.message}`]
  // Causes carry the low-level failure (an HTTP status, an fs error) behind a friendly message.
  let cause: unknown = error.cause
  for (let depth = 0; cause !== undefined && depth < 10; depth++) {
    parts.push(`Caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : inspect(cause)}`)
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return parts.join('\n')
}
