import { mkdir, readdir, rm } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { artifactScheme, parseRunsUri } from './artifact-uri.js'
import { alreadyExists, invalidParameter, notFound } from './errors.js'
import { readKeyFile, readKeyFiles, writeKeyFile } from './file-store-keys.js'
import { localPathFromUri } from './local-artifacts.js'
import { exists } from './fs-checks.js'
import { optionalNumber, readMetaYaml, writeMetaYaml } from './meta-yaml.js'
import { checkAlias, checkKey, checkModelName } from './name-rules.js'
import { matchesFilter, parseFilter, type Searchable } from './search-filter.js'
import type {
  CreateModelVersionInput,
  ModelVersion,
  ModelVersionStatus,
  RegisteredModel,
  Run,
  SearchModelVersionsInput,
} from './types.js'

const STAGES = ['None', 'Staging', 'Production', 'Archived']
/** How MLflow's FileStore marks a deleted version that keeps its folder (and its number). */
const DELETED_STAGE = 'Deleted_Internal'

export function canonicalStage(stage: string): string {
  const found = STAGES.find((s) => s.toLowerCase() === stage.trim().toLowerCase())
  if (found === undefined) {
    throw invalidParameter(
      `Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`,
    )
  }
  return found
}

function versionNumber(version: string): number {
  const n = Number(version)
  if (!/^\s*\d+\s*$/.test(version) || !Number.isSafeInteger(n) || n < 1) {
    throw invalidParameter(`Model version must be a positive integer, got '${version}'.`)
  }
  return n
}

/** The registry half of the FileStore: `mlruns/models/<name>/...` as MLflow lays it out. */
export class FileRegistry {
  constructor(
    private readonly root: string,
    private readonly now: () => number,
    private readonly getRun: (runId: string) => Promise<Run>,
  ) {}

  private modelDir(name: string): string {
    checkModelName(name)
    return join(this.root, name)
  }

  private async requireModel(name: string): Promise<string> {
    const dir = this.modelDir(name)
    if (!(await exists(join(dir, 'meta.yaml'))))
      throw notFound(`Registered Model with name=${name} not found`)
    return dir
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const dir = await this.requireModel(name)
    const meta = await readMetaYaml(join(dir, 'meta.yaml'))
    return {
      name: String(meta['name'] ?? name),
      creationTimestamp: optionalNumber(meta['creation_timestamp']),
      lastUpdatedTimestamp: optionalNumber(meta['last_updated_timestamp']),
      description: optionalString(meta['description']),
      tags: await readKeyFiles(join(dir, 'tags')),
      aliases: await readKeyFiles(join(dir, 'aliases')),
    }
  }

  async createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    const dir = this.modelDir(name)
    await mkdir(this.root, { recursive: true })
    try {
      await mkdir(dir)
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EEXIST') {
        throw alreadyExists(`Registered Model (name=${name}) already exists.`)
      }
      throw error
    }
    const time = this.now()
    await writeMetaYaml(join(dir, 'meta.yaml'), {
      creation_timestamp: time,
      description: description ?? null,
      last_updated_timestamp: time,
      name,
    })
    return this.getRegisteredModel(name)
  }

  async getOrCreateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    if (await exists(join(this.modelDir(name), 'meta.yaml'))) return this.getRegisteredModel(name)
    return this.createRegisteredModel(name, description)
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    checkKey('tag', key)
    const dir = await this.requireModel(name)
    await writeKeyFile(join(dir, 'tags'), key, value)
  }

  private async versionNumbers(modelDir: string): Promise<number[]> {
    let entries
    try {
      entries = await readdir(modelDir, { withFileTypes: true })
    } catch {
      return []
    }
    return entries
      .filter((e) => e.isDirectory() && /^version-\d+$/.test(e.name))
      .map((e) => Number(e.name.slice('version-'.length)))
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    const dir = await this.requireModel(input.name)
    const storageLocation = await this.storageLocation(input)
    // Claim the next number with mkdir, which fails if a concurrent writer took it first.
    let version = Math.max(0, ...(await this.versionNumbers(dir))) + 1
    for (;;) {
      try {
        await mkdir(join(dir, `version-${version}`))
        break
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'EEXIST') throw error
        version++
      }
    }
    const versionDir = join(dir, `version-${version}`)
    const time = this.now()
    await writeMetaYaml(join(versionDir, 'meta.yaml'), {
      creation_timestamp: time,
      current_stage: 'None',
      description: input.description ?? null,
      last_updated_timestamp: time,
      name: input.name,
      run_id: input.runId ?? null,
      source: input.source,
      status: 'READY',
      storage_location: storageLocation,
      version,
    })
    for (const [key, value] of Object.entries(input.tags ?? {})) {
      checkKey('tag', key)
      await writeKeyFile(join(versionDir, 'tags'), key, value)
    }
    const modelMeta = await readMetaYaml(join(dir, 'meta.yaml'))
    modelMeta['last_updated_timestamp'] = time
    await writeMetaYaml(join(dir, 'meta.yaml'), modelMeta)
    return this.getModelVersion(input.name, String(version))
  }

  /** What get-download-uri answers: where the files are, with runs:/ and models:/ resolved. */
  private async storageLocation(input: CreateModelVersionInput): Promise<string> {
    const { source } = input
    if (source.split(/[\\/]/).includes('..')) {
      throw invalidParameter(`Invalid model version source: '${source}'. It may not contain '..'.`)
    }
    const scheme = artifactScheme(source)
    if (scheme === 'runs') {
      const { runId, path } = parseRunsUri(source)
      const run = await this.getRun(runId)
      return path === '' ? run.info.artifactUri : `${run.info.artifactUri.replace(/\/+$/, '')}/${path}`
    }
    if (scheme === 'models') {
      const match = /^models:\/+([^/@]+)(?:\/(\d+)|@([\w-]+))$/.exec(source)
      if (match === null) {
        throw invalidParameter(`Invalid model version source '${source}': use models:/<name>/<version>.`)
      }
      const target =
        match[2] !== undefined
          ? await this.getModelVersion(match[1]!, match[2])
          : await this.getModelVersionByAlias(match[1]!, match[3]!)
      return this.getModelVersionDownloadUri(target.name, target.version)
    }
    if (scheme === 'file') {
      // A local source is accepted only inside the run's own local artifact folder, as the server does.
      const path = localPathFromUri(source)
      if (input.runId !== undefined) {
        const run = await this.getRun(input.runId)
        if (artifactScheme(run.info.artifactUri) === 'file') {
          const inside = relative(localPathFromUri(run.info.artifactUri), resolve(path))
          if (
            inside === '' ||
            (!inside.startsWith('..') && !inside.startsWith(sep) && !/^[a-zA-Z]:/.test(inside))
          ) {
            return source
          }
        }
      }
      throw invalidParameter(
        `Invalid model version source: '${source}'. To use a local path as a model version source, the ` +
          'run_id request parameter has to be specified and the local path has to be contained within the ' +
          `artifact directory of the run specified by the run_id. Prefer runs:/<run_id>/<path>.`,
      )
    }
    return source
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const dir = await this.requireModel(name)
    const n = versionNumber(version)
    const versionDir = join(dir, `version-${n}`)
    let meta: Record<string, unknown>
    try {
      meta = await readMetaYaml(join(versionDir, 'meta.yaml'))
    } catch {
      throw notFound(`Model Version (name=${name}, version=${n}) not found`)
    }
    if (meta['current_stage'] === DELETED_STAGE)
      throw notFound(`Model Version (name=${name}, version=${n}) not found`)
    const aliases = await readKeyFiles(join(dir, 'aliases'))
    return {
      name: String(meta['name'] ?? name),
      version: String(meta['version'] ?? n),
      creationTimestamp: optionalNumber(meta['creation_timestamp']),
      lastUpdatedTimestamp: optionalNumber(meta['last_updated_timestamp']),
      currentStage: String(meta['current_stage'] ?? 'None'),
      description: optionalString(meta['description']),
      source: String(meta['source'] ?? ''),
      runId: optionalString(meta['run_id']),
      status: (optionalString(meta['status']) ?? 'READY') as ModelVersionStatus,
      statusMessage: optionalString(meta['status_message']),
      tags: await readKeyFiles(join(versionDir, 'tags')),
      aliases: Object.entries(aliases)
        .filter(([, v]) => v.trim() === String(n))
        .map(([alias]) => alias)
        .sort(),
    }
  }

  private async allVersions(): Promise<ModelVersion[]> {
    let models
    try {
      models = await readdir(this.root, { withFileTypes: true })
    } catch {
      return []
    }
    const out: ModelVersion[] = []
    for (const model of models) {
      if (!model.isDirectory() || !(await exists(join(this.root, model.name, 'meta.yaml')))) continue
      for (const n of await this.versionNumbers(join(this.root, model.name))) {
        try {
          out.push(await this.getModelVersion(model.name, String(n)))
        } catch {
          // A deleted or half-written version is not listed, as MLflow does not list it either.
        }
      }
    }
    return out
  }

  async searchModelVersions(input: SearchModelVersionsInput): Promise<ModelVersion[]> {
    const clauses = parseFilter(input.filter)
    const matching = (await this.allVersions()).filter((v) => matchesFilter(searchableVersion(v), clauses))
    matching.sort((a, b) =>
      a.name === b.name ? Number(b.version) - Number(a.version) : a.name < b.name ? -1 : 1,
    )
    return matching.slice(0, input.maxResults ?? 10_000)
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    checkKey('tag', key)
    const mv = await this.getModelVersion(name, version)
    await writeKeyFile(join(this.modelDir(name), `version-${mv.version}`, 'tags'), key, value)
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const mv = await this.getModelVersion(name, version)
    const meta = await readMetaYaml(join(this.modelDir(name), `version-${mv.version}`, 'meta.yaml'))
    return optionalString(meta['storage_location']) ?? mv.source
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkAlias(alias)
    const mv = await this.getModelVersion(name, version)
    await writeKeyFile(join(this.modelDir(name), 'aliases'), alias, mv.version)
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const dir = await this.requireModel(name)
    const version = alias.includes('/') ? undefined : await readKeyFile(join(dir, 'aliases'), alias)
    // The server answers 400, not 404, for an unknown alias.
    if (version === undefined) throw invalidParameter(`Registered model alias ${alias} not found.`)
    return this.getModelVersion(name, version.trim())
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    checkAlias(alias)
    const dir = await this.requireModel(name)
    await rm(join(dir, 'aliases', alias), { force: true })
  }

  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    const target = canonicalStage(stage)
    const mv = await this.getModelVersion(name, version)
    const time = this.now()
    const setStage = async (v: string, to: string): Promise<void> => {
      const path = join(this.modelDir(name), `version-${v}`, 'meta.yaml')
      const meta = await readMetaYaml(path)
      meta['current_stage'] = to
      meta['last_updated_timestamp'] = time
      await writeMetaYaml(path, meta)
    }
    if (archiveExistingVersions && (target === 'Staging' || target === 'Production')) {
      for (const other of await this.searchModelVersions({})) {
        if (other.name === name && other.version !== mv.version && other.currentStage === target) {
          await setStage(other.version, 'Archived')
        }
      }
    }
    await setStage(mv.version, target)
    return this.getModelVersion(name, mv.version)
  }

  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    await this.requireModel(name)
    const wanted =
      stages === undefined || stages.length === 0 ? undefined : new Set(stages.map(canonicalStage))
    const latest = new Map<string, ModelVersion>()
    for (const mv of await this.allVersions()) {
      if (mv.name !== name || (wanted !== undefined && !wanted.has(mv.currentStage))) continue
      const best = latest.get(mv.currentStage)
      if (best === undefined || Number(mv.version) > Number(best.version)) latest.set(mv.currentStage, mv)
    }
    return [...latest.values()].sort((a, b) => Number(a.version) - Number(b.version))
  }
}

function searchableVersion(v: ModelVersion): Searchable {
  const attributes: Record<string, string | number | undefined> = {
    name: v.name,
    version: Number(v.version),
    version_number: Number(v.version),
    run_id: v.runId,
    source: v.source,
    source_path: v.source,
    current_stage: v.currentStage,
    status: v.status,
  }
  return {
    attribute: (key) => attributes[key],
    metric: () => undefined,
    param: () => undefined,
    tag: (key) => v.tags[key],
  }
}

function optionalString(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value)
}
