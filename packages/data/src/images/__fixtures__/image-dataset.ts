import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import jpeg from 'jpeg-js'
import { encodePng } from '../decode-image.js'

/** A small grey image whose pixels depend on `seed`, so every generated image has different content. */
export function greyImage(seed: number, width = 8, height = 8, channels = 1) {
  const pixels = new Uint8Array(width * height * channels)
  for (let i = 0; i < pixels.length; i++) pixels[i] = (seed * 37 + i * 11 + ((seed * i) % 7)) & 0xff
  return { width, height, channels, pixels }
}

export const pngOf = (seed: number, width = 8, height = 8, channels = 1): Buffer =>
  encodePng(greyImage(seed, width, height, channels))

export function jpegOf(seed: number, width = 8, height = 8): Buffer {
  const rgba = Buffer.alloc(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    const v = (seed * 29 + p * 3) & 0xff
    rgba.set([v, v, v, 255], p * 4)
  }
  return jpeg.encode({ data: rgba, width, height }, 90).data
}

/** A mask whose pixels cycle through `values`. */
export function maskOf(values: readonly number[], width = 8, height = 8): Buffer {
  const pixels = Uint8Array.from({ length: width * height }, (_, i) => values[i % values.length]!)
  return encodePng({ width, height, channels: 1, pixels })
}

export async function writeFiles(root: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), body)
  }
}

/** A clean classification set: `perClass` distinct 8x8 grey PNGs in each class folder. */
export function classFolders(classes: readonly string[], perClass: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {}
  classes.forEach((label, c) => {
    for (let i = 0; i < perClass; i++)
      files[`${label}/${String(i).padStart(3, '0')}.png`] = pngOf(c * 1000 + i)
  })
  return files
}

/** A clean segmentation set: images/ and masks/ with matching stems, masks over classes 0, 1, 2. */
export function segmentationPairs(count: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < count; i++) {
    files[`images/img${i}.png`] = pngOf(500 + i, 8, 8, 3)
    files[`masks/img${i}.png`] = maskOf([0, 0, 1, 2])
  }
  return files
}
