import * as models from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'

/**
 * Offline field check of rendered manifests against the model types @kubernetes/client-node generates from the
 * Kubernetes OpenAPI definitions: every field must exist on its type (the API server silently drops or, with
 * strict field validation, rejects unknown ones — a typo like `readinesProbe` never reaches the pod), and
 * objects, lists, maps, strings, numbers and booleans must be where the schema has them. Kinds client-node does
 * not model (CRDs such as ServiceMonitor) are reported as not checked, never as valid.
 */
interface Attribute {
  baseName: string
  type: string
}
type ModelClass = { getAttributeTypeMap(): Attribute[] }

const registry = models as unknown as Record<string, ModelClass | undefined>

function modelClass(type: string): ModelClass | undefined {
  const candidate = registry[type]
  return typeof candidate?.getAttributeTypeMap === 'function' ? candidate : undefined
}

/** client-node names built-in kinds <Version><Kind>: apps/v1 Deployment -> V1Deployment, autoscaling/v2 -> V2... */
export function modelTypeName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').at(-1) ?? ''
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`
}

function check(value: unknown, type: string, path: string, problems: string[]): void {
  if (value === null || value === undefined) return
  const list = /^Array<(.+)>$/.exec(type)
  if (list) {
    if (!Array.isArray(value)) return void problems.push(`${path}: expected a list, got ${describe(value)}`)
    value.forEach((item, i) => check(item, list[1]!, `${path}[${i}]`, problems))
    return
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)
  if (map) {
    if (!isObject(value)) return void problems.push(`${path}: expected a map, got ${describe(value)}`)
    for (const [key, item] of Object.entries(value)) check(item, map[1]!, `${path}.${key}`, problems)
    return
  }
  const cls = modelClass(type)
  if (cls) {
    if (!isObject(value))
      return void problems.push(`${path}: expected an object (${type}), got ${describe(value)}`)
    const attributes = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]))
    for (const [key, item] of Object.entries(value)) {
      const child = attributes.get(key)
      const at = path === '' ? key : `${path}.${key}`
      if (child === undefined) problems.push(`${at}: unknown field (not in ${type})`)
      else check(item, child, at, problems)
    }
    return
  }
  // Quantities ("500m", 1) and int-or-string values are legitimately either; numbers and booleans are not.
  if (
    (type === 'string' || type === 'IntOrString') &&
    typeof value !== 'string' &&
    typeof value !== 'number'
  ) {
    problems.push(`${path}: expected a string, got ${describe(value)}`)
  } else if (type === 'number' && typeof value !== 'number') {
    problems.push(`${path}: expected a number, got ${describe(value)}`)
  } else if (type === 'boolean' && typeof value !== 'boolean') {
    problems.push(`${path}: expected true or false, got ${describe(value)}`)
  }
}

export interface FieldCheck {
  /** Kind/name of the object. */
  object: string
  /** False when client-node has no model for the kind (a CRD): nothing was checked. */
  checked: boolean
  problems: string[]
}

/** Built-in API groups only: a CRD of another group may reuse a built-in kind name (knative's v1 Service). */
function isBuiltInGroup(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : ''
  return ['', 'apps', 'batch', 'autoscaling', 'policy'].includes(group) || group.endsWith('.k8s.io')
}

export function checkManifestFields(manifest: Record<string, unknown>): FieldCheck {
  const kind = String(manifest.kind ?? '')
  const name = String((manifest.metadata as { name?: unknown } | undefined)?.name ?? '')
  const apiVersion = String(manifest.apiVersion ?? '')
  const type = modelTypeName(apiVersion, kind)
  const object = `${kind}/${name}`
  if (!isBuiltInGroup(apiVersion) || !modelClass(type)) return { object, checked: false, problems: [] }
  const problems: string[] = []
  check(manifest, type, '', problems)
  return { object, checked: true, problems }
}

/** Every object of a rendered multi-document manifest (`helm template` output), checked. */
export function checkRenderedManifest(text: string): FieldCheck[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter((o): o is Record<string, unknown> => o !== null && typeof o === 'object' && !Array.isArray(o))
    .map(checkManifestFields)
}
