import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'

export type ImageFormat = 'png' | 'jpeg'

/** A decoded image: `pixels` holds `channels` bytes per pixel, row-major (HWC), whatever the file stored. */
export interface DecodedImage {
  format: ImageFormat
  width: number
  height: number
  /** Channels the file declares: 1 grey, 2 grey+alpha, 3 RGB (palette PNGs too), 4 RGBA. */
  channels: number
  pixels: Uint8Array
}

/** A file that is not a PNG or JPEG, or is one but cannot be decoded; the message says why, in words. */
export class ImageDecodeError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`)
    this.name = 'ImageDecodeError'
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** The format from the first bytes, not the extension: a renamed file is judged by what it holds. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png'
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  return undefined
}

// IHDR colour type -> channels; a palette image (3) has RGB entries.
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }

/** The component count of a JPEG's frame header (SOFn), which jpeg-js decodes but does not return. */
function jpegComponents(bytes: Uint8Array): number | undefined {
  let at = 2
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined
    const marker = bytes[at + 1]!
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return bytes[at + 9]
    }
    at += 2 + length
  }
  return undefined
}

/** Keeps `channels` of every 4 (pngjs) or 3 (jpeg-js) decoded bytes, so grey stays one byte per pixel. */
function narrow(data: Uint8Array, stride: number, channels: number, count: number): Uint8Array {
  if (stride === channels) return data
  const out = new Uint8Array(count * channels)
  for (let p = 0; p < count; p++) {
    for (let c = 0; c < channels; c++) out[p * channels + c] = data[p * stride + c]!
  }
  return out
}

/** Decodes a PNG (pngjs) or JPEG (jpeg-js); anything unreadable is an ImageDecodeError naming the file. */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const format = sniffImageFormat(bytes)
  if (!format) {
    throw new ImageDecodeError(
      bytes.length === 0 ? 'empty file' : 'not a PNG or JPEG (unknown signature)',
      file,
    )
  }
  try {
    if (format === 'png') {
      const declared = PNG_CHANNELS[bytes[25]!]
      if (declared === undefined) throw new Error(`unknown PNG colour type ${bytes[25]}`)
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      // pngjs always expands to RGBA; grey is replicated into R, G and B, so R is the grey value.
      const rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength)
      const pixels =
        declared === 2
          ? Uint8Array.from(
              { length: png.width * png.height * 2 },
              (_, i) => rgba[(i >> 1) * 4 + (i & 1) * 3]!,
            )
          : narrow(rgba, 4, declared, png.width * png.height)
      return { format, width: png.width, height: png.height, channels: declared, pixels }
    }
    const components = jpegComponents(bytes)
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 256 })
    const channels = components === 1 ? 1 : 3
    return {
      format,
      width: decoded.width,
      height: decoded.height,
      channels,
      pixels: narrow(decoded.data, 3, channels, decoded.width * decoded.height),
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new ImageDecodeError(`corrupt ${format.toUpperCase()} (${reason})`, file)
  }
}

/** Encodes 8-bit pixels as a PNG (grey, grey+alpha, RGB or RGBA), for masks and test datasets. */
export function encodePng(image: {
  width: number
  height: number
  channels: number
  pixels: Uint8Array
}): Buffer {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[image.channels]
  if (colorType === undefined) throw new Error(`cannot encode ${image.channels} channels as PNG`)
  const png = new PNG({ width: image.width, height: image.height })
  const count = image.width * image.height
  for (let p = 0; p < count; p++) {
    const at = p * image.channels
    const grey = image.channels <= 2
    png.data[p * 4] = image.pixels[at]!
    png.data[p * 4 + 1] = grey ? image.pixels[at]! : image.pixels[at + 1]!
    png.data[p * 4 + 2] = grey ? image.pixels[at]! : image.pixels[at + 2]!
    png.data[p * 4 + 3] =
      image.channels === 2 ? image.pixels[at + 1]! : image.channels === 4 ? image.pixels[at + 3]! : 255
  }
  return PNG.sync.write(png, { colorType: colorType as 0 | 2 | 4 | 6, inputColorType: 6 })
}
