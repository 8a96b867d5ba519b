import { createHash } from 'node:crypto'

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

const DIGEST = /^sha256:[0-9a-f]{64}$/

export function isDigest(value: string): boolean {
  return DIGEST.test(value)
}

/** The hex part of a sha256 digest, checked so a crafted digest can never become a path like `../x`. */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new Error(`not a sha256 digest: '${digest}'`)
  return digest.slice('sha256:'.length)
}
