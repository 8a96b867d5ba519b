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
