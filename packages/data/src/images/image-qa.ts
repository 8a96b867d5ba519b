import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { summarizeChecks, type CheckResult } from '../expectations/evaluate.js'
import { decodeImage, ImageDecodeError, type DecodedImage, type ImageFormat } from './decode-image.js'
import {
  balanceCheck,
  consistencyProblems,
  duplicateProblems,
  fileCheck,
  type FileProblem,
  type ImageFacts,
} from './image-checks.js'
import { discoverImageDataset, type ImageDatasetOptions, type ImageLayout } from './image-dataset.js'

export const IMAGE_QA_REPORT_SCHEMA = 'mlops-actions/image-qa-report@1'

export interface ImageQaOptions extends ImageDatasetOptions {
  /** The values a mask may hold (class ids). Without it, the mask-values check lists what it saw. */
  maskClasses?: readonly number[]
  /** Smallest share of images a class may have before class balance warns (as label_balance). */
  minClassShare?: number
  /** Smallest share of mask pixels a listed class may have before pixel balance warns. */
  minPixelShare?: number
  onProgress?: (progress: { images: number; total: number }) => void
  now?: () => number
}

export interface ImageProfile {
  formats: Partial<Record<ImageFormat, number>>
  /** `WxH` with how many images have it, most common first. */
  sizes: { size: string; count: number }[]
  channels: { channels: number; count: number }[]
  /** Images per class (classification). */
  classes: { name: string; images: number; share: number }[]
  /** Pixels per mask value over all masks (segmentation). */
  pixelClasses: { value: number; pixels: number; share: number }[]
}

/** The image counterpart of DataQaReport: same status, summary counts and checks[], an image profile. */
export interface ImageQaReport {
  schema: typeof IMAGE_QA_REPORT_SCHEMA
  status: 'pass' | 'warn' | 'fail'
  summary: {
    checks: number
    passed: number
    failed: number
    warned: number
    images: number
    masks: number
    classes: number
  }
  dataset: { root: string; layout: ImageLayout; labelsFile: string | null; masksDir: string | null }
  checks: CheckResult[]
  profile: ImageProfile
  durationMs: number
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** Reads and decodes a file; unreadable files become a named problem instead of an exception. */
async function load(file: string): Promise<{ bytes: Uint8Array; image: DecodedImage } | { problem: string }> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (error) {
    return { problem: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }
  }
  try {
    return { bytes, image: decodeImage(bytes, file) }
  } catch (error) {
    if (error instanceof ImageDecodeError) return { problem: error.message.slice(file.length + 2) }
    throw error
  }
}

/** A mask's class id per pixel is its first channel; colour masks (channels that differ) have no such id. */
function isGreyMask(mask: DecodedImage): boolean {
  if (mask.channels === 1) return true
  const colour = Math.min(mask.channels, 3)
  if (colour === 1) return true
  for (let p = 0; p < mask.width * mask.height; p++) {
    const at = p * mask.channels
    for (let c = 1; c < colour; c++) if (mask.pixels[at + c] !== mask.pixels[at]) return false
  }
  return true
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1])
}

/**
 * Checks an image dataset file by file, keeping only sizes, hashes and per-value pixel counts: unreadable
 * files, size and channel consistency, duplicates (sha256 of the content), class balance per image, and for
 * segmentation missing or orphan masks, mask shapes, mask values outside the class set and pixel balance.
 */
export async function runImageQa(options: ImageQaOptions): Promise<ImageQaReport> {
  const now = options.now ?? Date.now
  const started = now()
  const dataset = await discoverImageDataset(options)
  const { root, entries } = dataset
  const segmentation = dataset.layout === 'segmentation'
  const allowed = options.maskClasses ? new Set(options.maskClasses) : undefined

  const unreadable: FileProblem[] = []
  const images: ImageFacts[] = []
  const formats: Partial<Record<ImageFormat, number>> = {}
  const missingMasks: FileProblem[] = []
  const maskShape: FileProblem[] = []
  const outOfSet: FileProblem[] = []
  const pixels = new Float64Array(256)
  let masks = 0

  for (const [index, entry] of entries.entries()) {
    const loaded = await load(entry.file)
    if ('problem' in loaded) {
      unreadable.push({ file: entry.file, reason: loaded.problem })
    } else {
      const { image } = loaded
      formats[image.format] = (formats[image.format] ?? 0) + 1
      images.push({
        file: entry.file,
        ...(entry.label === undefined ? {} : { label: entry.label }),
        width: image.width,
        height: image.height,
        channels: image.channels,
        sha256: sha256(loaded.bytes),
      })
    }
    if (segmentation) {
      if (entry.mask === undefined) {
        missingMasks.push({
          file: entry.file,
          reason: `no mask in ${relative(root, dataset.masksDir!) || '.'}`,
        })
      } else {
        const mask = await load(entry.mask)
        if ('problem' in mask) {
          unreadable.push({ file: entry.mask, reason: mask.problem })
        } else {
          masks++
          const { image: m } = mask
          const image = 'image' in loaded ? loaded.image : undefined
          if (image && (m.width !== image.width || m.height !== image.height)) {
            maskShape.push({
              file: entry.mask,
              reason: `${m.width}x${m.height}, its image is ${image.width}x${image.height}`,
            })
          } else if (!isGreyMask(m)) {
            maskShape.push({
              file: entry.mask,
              reason: 'colour mask: channels differ, so no class id per pixel',
            })
          } else {
            const counts = new Float64Array(256)
            for (let p = 0; p < m.width * m.height; p++) counts[m.pixels[p * m.channels]!]!++
            const bad: number[] = []
            counts.forEach((count, value) => {
              pixels[value]! += count
              if (count > 0 && allowed && !allowed.has(value)) bad.push(value)
            })
            if (bad.length > 0) {
              const shown = bad.slice(0, 8).join(', ') + (bad.length > 8 ? ', ...' : '')
              outOfSet.push({ file: entry.mask, reason: `value${bad.length === 1 ? '' : 's'} ${shown}` })
            }
          }
        }
      }
    }
    options.onProgress?.({ images: index + 1, total: entries.length })
  }

  const checks: CheckResult[] = []
  const files = entries.length + (segmentation ? entries.filter((e) => e.mask).length : 0)
  checks.push(
    fileCheck(
      'unreadable_images',
      'every image and mask decodes (PNG or JPEG)',
      'error',
      unreadable,
      files,
      root,
    ),
  )
  if (dataset.layout === 'csv') {
    checks.push(
      fileCheck(
        'missing_images',
        `every file in ${dataset.labelsFile} exists`,
        'error',
        dataset.missingFiles.map((m) => ({ ...m, reason: 'listed but not found' })),
        entries.length + dataset.missingFiles.length,
        root,
        'listed files',
      ),
    )
  }
  if (dataset.layout === 'csv' || dataset.layout === 'folders') {
    checks.push(
      fileCheck(
        'unlabelled_images',
        dataset.layout === 'csv' ? 'every image has a label in the CSV' : 'every image is in a class folder',
        'warning',
        dataset.unlabelled.map((file) => ({ file, reason: 'no label' })),
        entries.length + dataset.unlabelled.length,
        root,
        'images',
      ),
    )
  }
  const size = consistencyProblems(images, (i) => `${i.width}x${i.height}`)
  checks.push(
    fileCheck(
      'image_size',
      `every image is ${size.common ?? 'one size'}`,
      'error',
      size.problems,
      images.length,
      root,
      'images',
    ),
  )
  const channels = consistencyProblems(images, (i) => `${i.channels} channel${i.channels === 1 ? '' : 's'}`)
  checks.push(
    fileCheck(
      'image_channels',
      `every image has ${channels.common ?? 'the same channels'}`,
      'error',
      channels.problems,
      images.length,
      root,
      'images',
    ),
  )
  checks.push(
    fileCheck(
      'duplicate_images',
      'no two images have the same content (sha256)',
      'warning',
      duplicateProblems(images, root),
      images.length,
      root,
      'images',
    ),
  )

  const classCounts = new Map<string, number>()
  for (const image of images)
    if (image.label !== undefined) classCounts.set(image.label, (classCounts.get(image.label) ?? 0) + 1)
  const minClassShare = options.minClassShare ?? 0.05
  if (dataset.layout === 'folders' || dataset.layout === 'csv') {
    checks.push(
      balanceCheck(
        'class_balance',
        `every class is at least ${minClassShare * 100}% of images`,
        classCounts,
        minClassShare,
        dataset.emptyClasses,
      ),
    )
  }

  const pixelTotal = pixels.reduce((a, b) => a + b, 0)
  const pixelClasses = [...pixels]
    .map((count, value) => ({ value, pixels: count, share: pixelTotal === 0 ? 0 : count / pixelTotal }))
    .filter((p) => p.pixels > 0)
  if (segmentation) {
    checks.push(
      fileCheck(
        'missing_masks',
        'every image has a mask',
        'error',
        missingMasks,
        entries.length,
        root,
        'images',
      ),
      fileCheck(
        'orphan_masks',
        'every mask has an image',
        'warning',
        dataset.orphanMasks.map((file) => ({ file, reason: 'no image with this name' })),
        masks + dataset.orphanMasks.length,
        root,
        'masks',
      ),
      fileCheck(
        'mask_shape',
        'every mask is one channel of its image size',
        'error',
        maskShape,
        masks,
        root,
        'masks',
      ),
    )
    const seen = pixelClasses.map((p) => p.value).join(', ')
    checks.push(
      allowed
        ? fileCheck(
            'mask_values',
            `mask values are in {${[...allowed].join(', ')}}`,
            'error',
            outOfSet,
            masks,
            root,
            'masks',
          )
        : {
            check: 'mask_values',
            kind: 'dataset',
            description: 'mask values (no class set given to check against)',
            severity: 'warning',
            success: true,
            observed: `values seen: ${seen || 'none'}`,
          },
    )
    // Balance over the declared classes, so a class that never occurs counts as 0%.
    const counts = new Map<string, number>()
    for (const value of allowed ?? pixelClasses.map((p) => p.value))
      counts.set(String(value), pixels[value] ?? 0)
    const minPixelShare = options.minPixelShare ?? 0.001
    checks.push(
      balanceCheck(
        'pixel_class_balance',
        `every mask class is at least ${minPixelShare * 100}% of pixels`,
        counts,
        minPixelShare,
      ),
    )
  }

  const { status, counts } = summarizeChecks(checks)
  const imageTotal = images.length
  return {
    schema: IMAGE_QA_REPORT_SCHEMA,
    status,
    summary: {
      ...counts,
      images: entries.length,
      masks,
      classes: dataset.classes.length,
    },
    dataset: {
      root,
      layout: dataset.layout,
      labelsFile: dataset.labelsFile ?? null,
      masksDir: dataset.masksDir ?? null,
    },
    checks,
    profile: {
      formats,
      sizes: countBy(images, (i) => `${i.width}x${i.height}`).map(([s, count]) => ({ size: s, count })),
      channels: countBy(images, (i) => String(i.channels)).map(([c, count]) => ({
        channels: Number(c),
        count,
      })),
      classes: [...classCounts]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([name, count]) => ({ name, images: count, share: imageTotal === 0 ? 0 : count / imageTotal })),
      pixelClasses,
    },
    durationMs: Math.round(now() - started),
  }
}
