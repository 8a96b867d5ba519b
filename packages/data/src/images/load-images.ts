import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { DataError } from '../errors.js'
import { decodeImage } from './decode-image.js'
import { discoverImageDataset, type ImageDatasetOptions } from './image-dataset.js'

/** Labelled images as one NHWC tensor of raw pixel values, ready for an image trainer. */
export interface ImageTensor {
  /** [count, height, width, channels], row-major, raw 0-255 values. */
  pixels: Float32Array
  count: number
  height: number
  width: number
  channels: number
  /** Class index per image, into `classes`. */
  labels: Int32Array
  classes: string[]
  files: string[]
}

/**
 * Reads a classification image dataset (class folders or a labels CSV) into memory. Every image must decode
 * and share the first one's size and channels: run data-qa first to learn which do not.
 */
export async function readImageClassification(options: ImageDatasetOptions): Promise<ImageTensor> {
  const dataset = await discoverImageDataset(options)
  if (dataset.layout !== 'folders' && dataset.layout !== 'csv') {
    throw new DataError(`${options.root} is not a classification dataset (class folders or a labels CSV)`)
  }
  const { entries, classes } = dataset
  if (entries.length === 0) throw new DataError(`no labelled images under ${options.root}`)
  let pixels: Float32Array | undefined
  let shape = { width: 0, height: 0, channels: 0 }
  const labels = new Int32Array(entries.length)
  const classIndex = new Map(classes.map((c, i) => [c, i]))
  for (const [i, entry] of entries.entries()) {
    const image = decodeImage(await readFile(entry.file), relative(dataset.root, entry.file))
    if (!pixels) {
      shape = { width: image.width, height: image.height, channels: image.channels }
      pixels = new Float32Array(entries.length * image.pixels.length)
    } else if (
      image.width !== shape.width ||
      image.height !== shape.height ||
      image.channels !== shape.channels
    ) {
      throw new DataError(
        `${entry.file} is ${image.width}x${image.height}x${image.channels}, the first image ${shape.width}x${shape.height}x${shape.channels}`,
        { file: entry.file },
      )
    }
    pixels.set(image.pixels, i * image.pixels.length)
    labels[i] = classIndex.get(entry.label!)!
  }
  return {
    pixels: pixels!,
    count: entries.length,
    ...shape,
    labels,
    classes,
    files: entries.map((e) => e.file),
  }
}
