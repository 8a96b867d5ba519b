import type { BundleInfo } from '@mlops/ml'

export interface FeatureColumn {
  name: string
  kind: 'numeric' | 'categorical'
}

/** How an uploaded picture becomes model input (row-major pixels, channels interleaved: height x width x channels). */
export interface ImageInput {
  width: number
  height: number
  channels: 1 | 3
  /** Multiplies each 0-255 pixel value (1: raw pixels, the graph normalises; 1/255 for 0-1 pixels). */
  scale: number
}

/** The graph input of image models that take a tensor (bundle.json `image` with no feature columns). */
export const IMAGE_TENSOR_INPUT = 'image'

/** What a request must carry: one value per feature column in this order, and what comes back. */
export interface ModelSchema {
  /**
   * The columns, in graph order. For a tensor image model, one numeric pseudo-column per pixel value
   * (`pixel0`...), so flat pixel arrays, uploads and the batcher work as for column models.
   */
  features: FeatureColumn[]
  index: ReadonlyMap<string, number>
  labels: string[]
  image: ImageInput | undefined
  /** True when the graph takes one `image` tensor [N, height, width, channels] instead of one input per column. */
  imageTensor: boolean
}

/**
 * A row in the graph's input order: a number for numeric columns (NaN = missing, imputed by the graph) and a
 * string for categorical ones ('' = missing, all-zero one-hot).
 */
export type RowValues = Array<number | string>

/** A bundle.json `image` block when it is usable; anything else is treated as absent. */
function declaredImage(value: unknown): ImageInput | undefined {
  if (!value || typeof value !== 'object') return undefined
  const declared = value as Record<string, unknown>
  const width = Number(declared.width)
  const height = Number(declared.height)
  const channels = Number(declared.channels ?? 1)
  const scale = Number(declared.scale ?? 1)
  const valid =
    Number.isInteger(width) &&
    width > 0 &&
    Number.isInteger(height) &&
    height > 0 &&
    (channels === 1 || channels === 3) &&
    Number.isFinite(scale)
  return valid ? { width, height, channels: channels as 1 | 3, scale } : undefined
}

/**
 * An image model is declared by `image: {width, height, channels, scale}` in bundle.json: with no feature columns
 * the graph takes an `image` tensor; with width x height x channels numeric columns, uploads fill those columns.
 * A bundle whose columns are all numeric and named like pixels (`pixel0`, `px_12`...) with a square count is read
 * as a grayscale square, the layout of MNIST-style CSVs.
 */
export function modelSchema(info: BundleInfo): ModelSchema {
  const image = declaredImage((info as { image?: unknown }).image)
  const labels = [...info.labels]
  if (info.features.length === 0) {
    if (!image)
      throw new Error(
        'bundle.json has no feature columns and no usable image block (width, height, channels)',
      )
    const count = image.width * image.height * image.channels
    const features = Array.from({ length: count }, (_, i) => ({
      name: `pixel${i}`,
      kind: 'numeric' as const,
    }))
    return { features, index: new Map(features.map((f, i) => [f.name, i])), labels, image, imageTensor: true }
  }
  const features = info.features.map((f) => ({ name: f.name, kind: f.kind }))
  const count = features.length
  let upload: ImageInput | undefined
  if (image) {
    upload = image.width * image.height * image.channels === count ? image : undefined
  } else {
    const side = Math.round(Math.sqrt(count))
    const pixels = features.every((f) => f.kind === 'numeric' && /^(pixel|px)[_-]?\d+$/i.test(f.name))
    upload =
      pixels && side * side === count && side >= 4
        ? { width: side, height: side, channels: 1, scale: 1 }
        : undefined
  }
  return {
    features,
    index: new Map(features.map((f, i) => [f.name, i])),
    labels,
    image: upload,
    imageTensor: false,
  }
}
