/**
 * Two independent 32-bit hashes of a string, from one pass over its UTF-16 code units: lane one is FNV-1a,
 * lane two a multiply-xorshift with a different prime and seed, each finished with MurmurHash3's fmix32 so
 * every input bit reaches every output bit. Together they act as a 64-bit hash: HyperLogLog needs more than
 * 32 bits, or colliding hashes start to undercount in the tens of millions.
 */
export function hash64(s: string, out: Uint32Array): void {
  hash64At(s, 0, s.length, out)
}

/** `hash64` of s[start, end), so a cell can be hashed where it lies in a parsed text. */
export function hash64At(s: string, start: number, end: number, out: Uint32Array): void {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  out[0] = fmix32(a)
  out[1] = fmix32(b)
}

export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const float = new Float64Array(1)
const words = new Uint32Array(float.buffer)

/**
 * A 64-bit hash of a number, in the form of `hash64`. A profile keys a numeric cell by its value when the text
 * is the number's canonical form: a few multiplications instead of a pass over the characters. A 32-bit
 * integer is mixed directly, through a different seed per lane; any other number through both halves of its
 * bits (a small integer's low half is all zeros).
 */
export function hashNumber(x: number, out: Uint32Array): void {
  if ((x | 0) === x && !Object.is(x, -0)) {
    out[0] = fmix32(x ^ 0x3c6ef372)
    out[1] = fmix32(x ^ 0xa54ff53a)
    return
  }
  float[0] = x
  const low = words[0]!
  const high = words[1]!
  out[0] = fmix32(high ^ fmix32(low ^ 0x510e527f))
  out[1] = fmix32(low ^ fmix32(high ^ 0x9b05688c))
}
