import { ImageInputError } from './errors.js'

export interface ImageReference {
  /** host[:port] as written, e.g. `127.0.0.1:5000` or `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  registry: string
  /** Repository path inside the registry, e.g. `library/alpine` or `models/readmission`. */
  repository: string
  tag?: string
  digest?: string
}

const DOCKER_HUB = 'registry-1.docker.io'
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/**
 * Parses `registry/repo[:tag][@sha256:...]` the way docker does: the first path part is a registry when it has
 * a dot or a port or is `localhost`; otherwise the image is on Docker Hub (`alpine` = `library/alpine`).
 */
export function parseImageReference(text: string): ImageReference {
  const trimmed = text.trim()
  const fail = (why: string): never => {
    throw new ImageInputError(
      `'${text}' is not an image reference (${why}); expected registry/repository:tag or registry/repository@sha256:<digest>, e.g. 127.0.0.1:5000/model-server:1`,
    )
  }
  if (trimmed === '') fail('it is empty')
  let rest = trimmed
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) fail(`digest '${digest}' is not sha256:<64 hex>`)
  }
  const parts = rest.split('/')
  let registry = DOCKER_HUB
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) registry = parts.shift()!
  let last = parts.pop() ?? ''
  let tag: string | undefined
  const colon = last.indexOf(':')
  if (colon >= 0) {
    tag = last.slice(colon + 1)
    last = last.slice(0, colon)
    if (!TAG.test(tag)) fail(`tag '${tag}' has characters a tag cannot have`)
  }
  parts.push(last)
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library')
  const repository = parts.join('/')
  if (!REPOSITORY.test(repository))
    fail(`repository '${repository}' must be lower-case letters, digits, '.', '_', '-' and '/'`)
  if (tag === undefined && digest === undefined) tag = 'latest'
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  }
}

export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}
