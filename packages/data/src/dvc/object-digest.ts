import { createHash, type Hash } from 'node:crypto'

/** DVC 2.x read files in blocks of this size and normalised each block on its own. */
const LEGACY_BLOCK = 1024 * 1024
/** DVC 2.x judged a file text or binary from its first 512 bytes. */
const TEXT_SNIFF = 512

/**
 * The md5 DVC recorded for some bytes. DVC 3 hashes the bytes as they are. DVC 2.x (outs without
 * `hash: md5`) hashed a file it judged to be text after replacing CRLF with LF (dos2unix), while storing
 * the original bytes under that md5; a legacy object is therefore accepted when either digest matches.
 */
export class ObjectDigest {
  private readonly raw = createHash('md5')
  private readonly normalized: Hash | undefined
  private pending: Buffer[] = []
  private pendingBytes = 0
  private head = Buffer.alloc(0)
  bytes = 0

  constructor(legacy: boolean) {
    this.normalized = legacy ? createHash('md5') : undefined
  }

  update(chunk: Buffer): void {
    this.raw.update(chunk)
    this.bytes += chunk.length
    if (!this.normalized) return
    if (this.head.length < TEXT_SNIFF)
      this.head = Buffer.concat([this.head, chunk.subarray(0, TEXT_SNIFF - this.head.length)])
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes < LEGACY_BLOCK) return
    let buffered = Buffer.concat(this.pending)
    while (buffered.length >= LEGACY_BLOCK) {
      updateWithoutCr(this.normalized, buffered.subarray(0, LEGACY_BLOCK))
      buffered = buffered.subarray(LEGACY_BLOCK)
    }
    this.pending = [buffered]
    this.pendingBytes = buffered.length
  }

  /** The md5 of the bytes, and for a legacy text file also the DVC 2.x md5. */
  finish(): { md5: string; legacyMd5: string | undefined } {
    const md5 = this.raw.digest('hex')
    if (!this.normalized || !looksLikeText(this.head)) return { md5, legacyMd5: undefined }
    updateWithoutCr(this.normalized, Buffer.concat(this.pending))
    return { md5, legacyMd5: this.normalized.digest('hex') }
  }
}

export function digestMatches(digest: { md5: string; legacyMd5: string | undefined }, md5: string): boolean {
  return digest.md5 === md5 || digest.legacyMd5 === md5
}

function updateWithoutCr(hash: Hash, block: Buffer): void {
  let start = 0
  for (let at = block.indexOf('\r\n', start); at !== -1; at = block.indexOf('\r\n', start)) {
    hash.update(block.subarray(start, at))
    start = at + 1
  }
  hash.update(block.subarray(start))
}

/** DVC 2.x's heuristic: no NUL byte, and at most 30% of bytes outside printable ASCII and \n\r\t\b. */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return true
  if (head.includes(0)) return false
  let other = 0
  for (const byte of head) {
    const printable = (byte >= 32 && byte < 127) || byte === 10 || byte === 13 || byte === 9 || byte === 8
    if (!printable) other++
  }
  return other / head.length <= 0.3
}
