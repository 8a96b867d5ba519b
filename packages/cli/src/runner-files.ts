/**
 * The runner's file protocols: GITHUB_OUTPUT holds `name=value` lines or `name<<DELIM` heredocs, and
 * workflow commands arrive on stdout as `::command props::message` with %-escaped data.
 */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line === '') continue
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i]!)
      if (i >= lines.length) throw new Error(`output '${name}' has no closing delimiter ${delimiter}`)
      outputs[name!] = value.join('\n')
      continue
    }
    const eq = line.indexOf('=')
    if (eq < 0) throw new Error(`malformed output line: ${line}`)
    outputs[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return outputs
}

export interface WorkflowCommand {
  command: string
  properties: Record<string, string>
  message: string
}

const unescapeData = (s: string): string => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
const unescapeProperty = (s: string): string => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',')

export function parseWorkflowCommand(line: string): WorkflowCommand | undefined {
  const match = /^::([a-zA-Z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
  if (!match) return undefined
  const properties: Record<string, string> = {}
  for (const part of (match[2] ?? '').split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) properties[part.slice(0, eq).trim()] = unescapeProperty(part.slice(eq + 1))
  }
  return { command: match[1]!, properties, message: unescapeData(match[3] ?? '') }
}
