import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { didYouMean } from '../closest-match.js'
import { DataError } from '../errors.js'

/** One option of `.dvc/config`, with where it was set so a mistake can be pointed at. */
export interface DvcConfigValue {
  value: string
  file: string
  line: number
}

/** Section name (`core`, `cache`, `remote "storage"`) -> option -> value. */
export type DvcConfig = Record<string, Record<string, DvcConfigValue>>

/** A remote as `.dvc/config` (and `.dvc/config.local`) describe it. */
export interface DvcRemoteConfig {
  name: string
  url: string
  endpointUrl: string | undefined
  region: string | undefined
  profile: string | undefined
  /** Keys from `dvc remote modify --local`: secrets, never to be logged. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined
  /** Where the remote's `url` was set. */
  file: string
  line: number
}

/**
 * Reads `.dvc/config` and lays `.dvc/config.local` over it option by option, as DVC does. A missing file
 * is an empty config (a repository may keep its remote only in the inputs).
 */
export async function readDvcConfig(repoRoot: string): Promise<DvcConfig> {
  const merged: DvcConfig = {}
  for (const name of ['config', 'config.local']) {
    const file = join(repoRoot, '.dvc', name)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') continue
      throw new DataError(`cannot read DVC config ${file}: ${code}`, { file }, { cause: error })
    }
    for (const [section, options] of Object.entries(parseDvcConfig(text, file)))
      merged[section] = { ...merged[section], ...options }
  }
  return merged
}

/**
 * Parses DVC's configobj INI dialect: `[core]`, `['remote "name"']` (configobj quotes section names that
 * contain quotes), `key = value` with optional quotes, and `#` or `;` comments.
 */
export function parseDvcConfig(text: string, file: string): DvcConfig {
  const config: DvcConfig = {}
  let section: Record<string, DvcConfigValue> | undefined
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return
    const fail = (message: string): never => {
      throw new DataError(`${file}:${line}: ${message}`, { file, line })
    }
    if (trimmed.startsWith('[')) {
      const header = /^\[\s*(.*?)\s*\]\s*(#.*)?$/.exec(trimmed)
      if (!header || header[1] === '') return fail(`malformed section header '${trimmed}'`)
      const name = unquote(header[1]!).replace(/\s+/g, ' ')
      section = config[name] ??= {}
      return
    }
    const equals = trimmed.indexOf('=')
    if (equals <= 0) return fail(`expected 'option = value' or a [section] header, got '${trimmed}'`)
    if (!section) return fail(`option '${trimmed.slice(0, equals).trim()}' comes before any [section]`)
    const key = trimmed.slice(0, equals).trim()
    section[key] = { value: optionValue(trimmed.slice(equals + 1).trim()), file, line }
  })
  return config
}

function unquote(text: string): string {
  const quote = text[0]
  return (quote === "'" || quote === '"') && text.length >= 2 && text.endsWith(quote)
    ? text.slice(1, -1)
    : text
}

function optionValue(text: string): string {
  const quoted = /^(['"])(.*)\1\s*(#.*)?$/.exec(text)
  if (quoted) return quoted[2]!
  // configobj treats an unquoted ` #` as the start of a comment.
  return text.replace(/\s+#.*$/, '')
}

/**
 * The remote named `name`, or the default one (`[core] remote = ...`); undefined when the config names
 * no default remote and no name is asked for.
 */
export function selectDvcRemote(config: DvcConfig, name?: string): DvcRemoteConfig | undefined {
  const core = config.core?.remote
  const wanted = name ?? core?.value
  if (wanted === undefined) return undefined
  const section = config[`remote "${wanted}"`]
  const known = Object.keys(config)
    .map((key) => /^remote "(.*)"$/.exec(key)?.[1])
    .filter((key): key is string => key !== undefined)
  if (!section) {
    const hint = `${didYouMean(wanted, known)}; configured remotes: ${known.join(', ') || 'none'}`
    if (name === undefined && core)
      throw new DataError(`${core.file}:${core.line}: default remote '${wanted}' is not configured${hint}`, {
        file: core.file,
        line: core.line,
      })
    throw new DataError(`DVC remote '${wanted}' is not configured in .dvc/config${hint}`)
  }
  const url = section.url
  if (!url) {
    const where = Object.values(section)[0]
    throw new DataError(`remote '${wanted}' has no url in .dvc/config`, {
      ...(where ? { file: where.file } : {}),
    })
  }
  const accessKeyId = section.access_key_id?.value
  const secretAccessKey = section.secret_access_key?.value
  const sessionToken = section.session_token?.value
  return {
    name: wanted,
    url: url.value,
    endpointUrl: section.endpointurl?.value,
    region: section.region?.value,
    profile: section.profile?.value,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
        : undefined,
    file: url.file,
    line: url.line,
  }
}
