import { createRequire } from 'node:module'
import type { ImageInput, RowValues } from '../model/model-schema.js'
import { InputError } from '../protocols/input-error.js'

interface Rgba {
  width: number
  height: number
  data: Uint8Array
}

interface Codecs {
  png: { sync: { read(data: Buffer): Rgba } }
  jpeg: { decode(data: Buffer, options: Record<string, unknown>): Rgba }
}

let codecs: Codecs | undefined

/**
 * pngjs and jpeg-js are dependencies of @mlops/data, not of serve (serve's package.json cannot change without a
 * lockfile update). The built server carries them as image-codecs.cjs beside it (serve/build.mjs); from the
 * sources they are resolved from @mlops/data. Loaded on the first upload, so tabular servers never pay for them.
 */
function loadCodecs(): Codecs {
  if (codecs) return codecs
  const here = createRequire(import.meta.url)
  try {
    codecs = here('./image-codecs.cjs') as Codecs
  } catch {
    const fromData = createRequire(here.resolve('@mlops/data'))
    codecs = { png: fromData('pngjs').PNG, jpeg: fromData('jpeg-js') }
  }
  return codecs
}

const MAX_SIDE = 8192

function decode(bytes: Buffer): Rgba {
  const isPng =
    bytes.length > 24 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff
  if (!isPng && !isJpeg) throw new InputError('the upload is not a PNG or JPEG image', 415)
  const { png, jpeg } = loadCodecs()
  try {
    if (isPng) {
      // IHDR width/height, checked before decoding so a tiny file cannot claim a huge canvas.
      const width = bytes.readUInt32BE(16)
      const height = bytes.readUInt32BE(20)
      if (width > MAX_SIDE || height > MAX_SIDE) {
        throw new InputError(
          `the PNG is ${width}x${height}; at most ${MAX_SIDE}x${MAX_SIDE} is accepted`,
          413,
        )
      }
      return png.sync.read(bytes)
    }
    return jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: 64,
      maxMemoryUsageInMB: 256,
    })
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError(
      `the ${isPng ? 'PNG' : 'JPEG'} upload could not be decoded: ${(error as Error).message}`,
    )
  }
}

/**
 * Decodes a PNG or JPEG and resamples it (bilinear) to the model's width x height, as gray (luma) or RGB
 * pixels 0-255 times `scale`, row-major with channels interleaved: the order the pixel columns were trained in.
 */
export function imageToRow(bytes: Buffer, input: ImageInput): RowValues {
  const image = decode(bytes)
  const { width, height, channels, scale } = input
  const row: RowValues = new Array(width * height * channels)
  const sx = image.width / width
  const sy = image.height / height
  const pixel = (x: number, y: number, c: number): number => {
    const i = (y * image.width + x) * 4
    const alpha = image.data[i + 3]! / 255
    if (c < 3) return image.data[i + c]! * alpha
    return (0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!) * alpha
  }
  let k = 0
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, image.height - 1)
    const wy = fy - y0
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), image.width - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, image.width - 1)
      const wx = fx - x0
      for (let c = 0; c < channels; c++) {
        const channel = channels === 1 ? 3 : c
        const top = pixel(x0, y0, channel) * (1 - wx) + pixel(x1, y0, channel) * wx
        const bottom = pixel(x0, y1, channel) * (1 - wx) + pixel(x1, y1, channel) * wx
        row[k++] = (top * (1 - wy) + bottom * wy) * scale
      }
    }
  }
  return row
}
