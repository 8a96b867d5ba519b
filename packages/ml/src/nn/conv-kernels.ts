/**
 * The conv block's arithmetic in plain loops over typed arrays, NHWC: a stride-1 'same' convolution and a 2x2
 * max pool, forward and backward. The tfjs cpu backend's kernels for these read elements one at a time through
 * TensorBuffer (and run some 30x slower again inside jest's vm contexts); these loops keep a digits epoch
 * around a second. Sums accumulate in float64 and are stored as float32.
 */
export interface NhwcShape {
  n: number
  height: number
  width: number
  channels: number
}

/** out[n, y, x, o] = sum over (r, c, i) of input[n, y + r - pad, x + c - pad, i] * w[r, c, i, o]; no bias. */
export function convSameForward(
  input: Float32Array,
  shape: NhwcShape,
  weights: Float32Array,
  kernel: number,
  filters: number,
): Float32Array {
  const { n, height, width, channels } = shape
  const pad = (kernel - 1) / 2
  const out = new Float32Array(n * height * width * filters)
  const sum = new Float64Array(filters)
  for (let b = 0; b < n; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        sum.fill(0)
        for (let r = 0; r < kernel; r++) {
          const iy = y + r - pad
          if (iy < 0 || iy >= height) continue
          for (let c = 0; c < kernel; c++) {
            const ix = x + c - pad
            if (ix < 0 || ix >= width) continue
            const at = ((b * height + iy) * width + ix) * channels
            const base = (r * kernel + c) * channels * filters
            for (let i = 0; i < channels; i++) {
              const v = input[at + i]!
              if (v === 0) continue
              const row = base + i * filters
              for (let o = 0; o < filters; o++) sum[o]! += v * weights[row + o]!
            }
          }
        }
        out.set(sum, ((b * height + y) * width + x) * filters)
      }
  return out
}

/** dInput[n, iy, ix, i] = sum over the outputs it fed of dy[n, y, x, o] * w[r, c, i, o]. */
export function convSameInputGradient(
  dy: Float32Array,
  shape: NhwcShape,
  weights: Float32Array,
  kernel: number,
  filters: number,
): Float32Array {
  const { n, height, width, channels } = shape
  const pad = (kernel - 1) / 2
  const out = new Float64Array(n * height * width * channels)
  for (let b = 0; b < n; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const g = ((b * height + y) * width + x) * filters
        for (let r = 0; r < kernel; r++) {
          const iy = y + r - pad
          if (iy < 0 || iy >= height) continue
          for (let c = 0; c < kernel; c++) {
            const ix = x + c - pad
            if (ix < 0 || ix >= width) continue
            const at = ((b * height + iy) * width + ix) * channels
            const base = (r * kernel + c) * channels * filters
            for (let i = 0; i < channels; i++) {
              const row = base + i * filters
              let s = 0
              for (let o = 0; o < filters; o++) s += weights[row + o]! * dy[g + o]!
              out[at + i]! += s
            }
          }
        }
      }
  return Float32Array.from(out)
}

/** dW[r, c, i, o] = sum over (n, y, x) of input[n, y + r - pad, x + c - pad, i] * dy[n, y, x, o]. */
export function convSameFilterGradient(
  input: Float32Array,
  shape: NhwcShape,
  dy: Float32Array,
  kernel: number,
  filters: number,
): Float32Array {
  const { n, height, width, channels } = shape
  const pad = (kernel - 1) / 2
  const out = new Float64Array(kernel * kernel * channels * filters)
  for (let b = 0; b < n; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const g = ((b * height + y) * width + x) * filters
        for (let r = 0; r < kernel; r++) {
          const iy = y + r - pad
          if (iy < 0 || iy >= height) continue
          for (let c = 0; c < kernel; c++) {
            const ix = x + c - pad
            if (ix < 0 || ix >= width) continue
            const at = ((b * height + iy) * width + ix) * channels
            const base = (r * kernel + c) * channels * filters
            for (let i = 0; i < channels; i++) {
              const v = input[at + i]!
              if (v === 0) continue
              const row = base + i * filters
              for (let o = 0; o < filters; o++) out[row + o]! += v * dy[g + o]!
            }
          }
        }
      }
  return Float32Array.from(out)
}

/** 2x2 stride-2 'valid' max pool (floor on odd sizes); `from` is the input index each output came from. */
export function maxPool2Forward(
  input: Float32Array,
  shape: NhwcShape,
): { out: Float32Array; from: Int32Array } {
  const { n, height, width, channels } = shape
  const oh = Math.floor(height / 2)
  const ow = Math.floor(width / 2)
  const out = new Float32Array(n * oh * ow * channels)
  const from = new Int32Array(out.length)
  let k = 0
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        for (let c = 0; c < channels; c++, k++) {
          let best = -Infinity
          let where = 0
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) {
              const at = ((b * height + 2 * y + dy) * width + 2 * x + dx) * channels + c
              if (input[at]! > best) {
                best = input[at]!
                where = at
              }
            }
          out[k] = best
          from[k] = where
        }
  return { out, from }
}

/** Routes each output gradient back to the input the maximum came from. */
export function maxPool2Backward(dy: Float32Array, from: Int32Array, inputLength: number): Float32Array {
  const out = new Float32Array(inputLength)
  for (let k = 0; k < dy.length; k++) out[from[k]!]! += dy[k]!
  return out
}
