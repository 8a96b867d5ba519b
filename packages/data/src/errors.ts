/**
 * A problem with the user's data or data configuration (not a bug): the message says what to change,
 * and file/line/column say where, so an action can annotate the exact place.
 */
export class DataError extends Error {
  readonly file: string | undefined
  readonly line: number | undefined
  readonly column: string | undefined

  constructor(
    message: string,
    where: { file?: string; line?: number; column?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'DataError'
    this.file = where.file
    this.line = where.line
    this.column = where.column
  }
}
