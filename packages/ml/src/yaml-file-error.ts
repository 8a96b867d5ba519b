import { LineCounter, parseDocument, type Document, type Node } from 'yaml'

/** A YAML file the user got wrong: the message starts with `file:line:`, so annotations and editors find it. */
export class YamlFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: ${message}`)
    this.name = new.target.name
  }
}

/**
 * Parses a user's YAML file keeping line numbers: a syntax error is thrown as `ErrorClass` at its line, and
 * `lineOf` gives the line of any node for the caller's own checks.
 */
export function parseYamlWithLines(
  text: string,
  file: string,
  ErrorClass: new (message: string, file: string, line: number) => YamlFileError,
): { doc: Document.Parsed; lineOf: (node: unknown) => number } {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter })
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!
    throw new ErrorClass(error.message.split('\n')[0]!, file, counter.linePos(error.pos[0]).line)
  }
  const lineOf = (node: unknown) => {
    const range = (node as Node | undefined)?.range
    return range ? counter.linePos(range[0]).line : 1
  }
  return { doc, lineOf }
}
