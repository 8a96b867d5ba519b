/**
 * Two independent 32-bit hashes of a string, from one pass over its UTF-16 code units: lane one is FNV-1a,
 * lane two a multiply-xorshift with a different prime and seed, each finished with MurmurHash3's fmix32 so
 * every input bit reaches every output bit. Together they act as a 64-bit hash: HyperLogLog needs more than
 * 32 bits, or colliding hashes start to undercount in the tens of millions.
 */
export function hash64(s: string, out: Uint32Array): void {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let i = 0; i < s.length; i++) {
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
