import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import {
  buildReferenceProfile,
  expandDatasetPaths,
  parseReferenceProfile,
  readColumns,
  type ReferenceProfile,
} from '@mlops/data'
import { ConfigurationError } from '@mlops/kit'

export interface LoadedReference {
  /** Always a profile: raw reference data is profiled exactly (every value kept), so nothing is approximated. */
  profile: ReferenceProfile
  description: string
}

/** A model bundle folder or reference.json (what train writes), else dataset files. */
export async function loadReference(paths: readonly string[], root: string): Promise<LoadedReference> {
  if (paths.length === 1) {
    const path = resolve(root, paths[0]!)
    const shown = relative(root, path) || '.'
    if (existsSync(path) && statSync(path).isDirectory()) {
      const file = join(path, 'reference.json')
      if (!existsSync(file)) {
        const bundle = existsSync(join(path, 'MLmodel')) || existsSync(join(path, 'bundle.json'))
        throw new ConfigurationError(
          bundle
            ? `Input 'reference': the model bundle ${shown} has no reference.json (bundles from an older train). Retrain, or pass the training dataset as reference.`
            : `Input 'reference': ${shown} is a folder without reference.json; pass a model bundle, a reference.json or dataset files.`,
        )
      }
      return profileFrom(file, root)
    }
    if (/\.json$/i.test(path)) {
      if (!existsSync(path))
        throw new ConfigurationError(`Input 'reference': ${shown} does not exist (relative to ${root})`)
      return profileFrom(path, root)
    }
  }
  const files = await expandDatasetPaths(paths, root)
  const table = await readColumns(files)
  return {
    profile: buildReferenceProfile(table, { maxPoints: Infinity }),
    description: `${files.map((file) => relative(root, file)).join(', ')} (${table.rows.toLocaleString('en-US')} rows)`,
  }
}

async function profileFrom(file: string, root: string): Promise<LoadedReference> {
  const shown = relative(root, file)
  const profile = parseReferenceProfile(await readFile(file, 'utf8'), shown)
  return { profile, description: `${shown} (profile of ${profile.rows.toLocaleString('en-US')} rows)` }
}
