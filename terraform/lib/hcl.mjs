// Reads a Terraform module folder into one JSON document (hcl2json per .tf file, blocks merged), for the
// offline checks: no terraform binary can run here, but every file must parse and the invariants hold.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from '@cdktf/hcl2json'

/** `{ resource: { type: { name: [block] } }, variable: { name: [block] }, ... }` over every .tf file. */
export async function loadModule(dir) {
  const merged = {}
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    let doc
    try {
      doc = await parse(file, readFileSync(join(dir, file), 'utf8'))
    } catch (error) {
      throw new Error(`${join(dir, file)} does not parse: ${error.message ?? error}`)
    }
    for (const [kind, blocks] of Object.entries(doc)) {
      merged[kind] ??= {}
      for (const [key, value] of Object.entries(blocks)) {
        if (kind === 'resource' || kind === 'data') {
          merged[kind][key] ??= {}
          for (const [name, body] of Object.entries(value))
            merged[kind][key][name] = body.map((b) => ({ ...b, file }))
        } else {
          merged[kind][key] = Array.isArray(value) ? value.map((b) => ({ ...b, file })) : value
        }
      }
    }
  }
  return merged
}

/** The type expression without hcl2json's interpolation wrapper: `${list(string)}` -> `list(string)`. */
export const unwrap = (expression) =>
  typeof expression === 'string' ? expression.replace(/^\$\{([\s\S]*)\}$/, '$1') : expression

export function moduleDirs(root) {
  const dirs = []
  for (const group of ['modules', 'envs']) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(join(root, group, entry.name))
    }
  }
  return dirs.sort()
}
