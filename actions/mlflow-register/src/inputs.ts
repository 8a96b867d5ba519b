import {
  ConfigurationError,
  getListInput,
  getOptionalInput,
  getPathInput,
  getRequiredInput,
} from '@mlops/kit'

export interface Inputs {
  bundle: string
  modelName: string
  alias: string
  experiment: string | undefined
  runName: string | undefined
  tags: Record<string, string>
  reports: string[]
  trackingUri: string | undefined
  mlrunsDir: string
}

// MLflow's own rules: letters, digits, _ and -; `latest` and `v<N>` are reserved by the registry.
function checkAlias(alias: string): string {
  if (!/^[\w-]+$/.test(alias))
    throw new ConfigurationError(`Input 'alias' may only hold letters, digits, _ and -, got '${alias}'`)
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw new ConfigurationError(
      `Input 'alias': '${alias}' is reserved by MLflow; use e.g. challenger or champion`,
    )
  }
  return alias
}

function parseTags(lines: string[]): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const line of lines) {
    const eq = line.indexOf('=')
    if (eq <= 0) throw new ConfigurationError(`Input 'tags': expected key=value, got '${line}'`)
    tags[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return tags
}

export function getInputs(): Inputs {
  return {
    bundle: getPathInput('bundle', { required: true, mustExist: 'directory' }),
    modelName: getRequiredInput('model-name'),
    alias: checkAlias(getOptionalInput('alias') ?? 'challenger'),
    experiment: getOptionalInput('experiment'),
    runName: getOptionalInput('run-name'),
    // Tags are one per line: a comma may be part of a value.
    tags: parseTags(
      (getOptionalInput('tags') ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
    reports: getListInput('reports'),
    trackingUri: getOptionalInput('tracking-uri'),
    mlrunsDir: getPathInput('mlruns-dir', {}) ?? 'mlruns',
  }
}
