// Records what @actions/core prints to stdout so tests can assert on the workflow commands the
// runner would see (`::error file=x,line=3::message`), exactly as it would parse them.

export interface WorkflowCommand {
  name: string
  properties: Record<string, string>
  message: string
}

export interface StdoutCapture {
  /** Everything written, split into lines. */
  lines(): string[]
  commands(name?: string): WorkflowCommand[]
  restore(): void
}

export function captureStdout(): StdoutCapture {
  const original = process.stdout.write
  let text = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stdout.write
  const lines = () => text.split(/\r?\n/).filter((line) => line !== '')
  return {
    lines,
    commands(name) {
      return lines()
        .map(parseCommand)
        .filter((command): command is WorkflowCommand => command !== undefined)
        .filter((command) => name === undefined || command.name === name)
    },
    restore() {
      process.stdout.write = original
    },
  }
}

function parseCommand(line: string): WorkflowCommand | undefined {
  const match = /^::([\w-]+)(?: ([^:]*))?::(.*)$/.exec(line)
  if (match === null) return undefined
  const [, name = '', rawProperties = '', message = ''] = match
  const properties: Record<string, string> = {}
  for (const pair of rawProperties.split(',').filter((part) => part !== '')) {
    const at = pair.indexOf('=')
    properties[pair.slice(0, at)] = unescape(pair.slice(at + 1))
  }
  return { name, properties, message: unescape(message) }
}

function unescape(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%')
}
