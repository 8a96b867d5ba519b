/** Something the user must fix (a kubeconfig that does not parse, a chart that does not exist). */
export class KubeConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KubeConfigurationError'
  }
}

/** A helm command that exited non-zero; `output` is its stderr with secrets already redacted. */
export class HelmError extends Error {
  readonly exitCode: number
  readonly output: string
  readonly command: string

  constructor(command: string, exitCode: number, output: string) {
    super(`helm ${command} failed (exit ${exitCode}): ${output.trim().split('\n').slice(-5).join('\n')}`)
    this.name = 'HelmError'
    this.exitCode = exitCode
    this.output = output
    this.command = command
  }
}
