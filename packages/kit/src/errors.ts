/** Where in the user's files a mistake is, so the runner can put an annotation on that line. */
export interface ErrorLocation {
  file?: string
  line?: number
}

/**
 * A mistake in how the action was configured (inputs, workflow, permissions), not a bug in the action.
 * The message must say what to change; `run` reports it as a plain annotation without a stack trace.
 */
export class ConfigurationError extends Error {
  readonly file: string | undefined
  readonly line: number | undefined

  constructor(message: string, where: ErrorLocation = {}, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConfigurationError'
    this.file = where.file
    this.line = where.line
  }
}
