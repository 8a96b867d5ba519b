import { readdir, stat } from 'node:fs/promises'
import { extname, join, relative, resolve, sep } from 'node:path'
import { didYouMean } from '../closest-match.js'
import { DataError } from '../errors.js'
import { openTable } from '../open-table.js'

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg']

/**
 * How labels are attached: class sub-folders (`cat/001.png`), a CSV of `file,label`, image/mask pairs for
 * segmentation (`images/x.png` + `masks/x.png`), or none.
 */
export type ImageLayout = 'folders' | 'csv' | 'segmentation' | 'unlabelled'

export interface ImageEntry {
  /** Absolute path of the image. */
  file: string
  label?: string
  /** Absolute path of its mask (segmentation), when one exists. */
  mask?: string
  /** Line of the labels CSV that named it. */
  line?: number
}

export interface ImageDataset {
  root: string
  layout: ImageLayout
  entries: ImageEntry[]
  /** Class names, sorted (folder names or CSV labels); empty for segmentation and unlabelled sets. */
  classes: string[]
  /** Class folders that hold no image: a class the model would never see. */
  emptyClasses: string[]
  labelsFile?: string
  masksDir?: string
  /** Segmentation: masks whose stem matches no image. */
  orphanMasks: string[]
  /** Labels CSV: rows naming a file that does not exist, with the CSV line. */
  missingFiles: { file: string; line: number }[]
  /** Images that no label reaches: not listed in the CSV, or outside every class folder. */
  unlabelled: string[]
}

export interface ImageDatasetOptions {
  /** Folder of images (class sub-folders, or with `images/` and `masks/` inside for segmentation). */
  root: string
  /** CSV with a file column (file, filename, path or image) and a label column (label or class). */
  labels?: string
  /** Folder of masks whose paths match the images' without the extension. */
  masks?: string
}

export const isImageFile = (name: string): boolean => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())

/** Every image under `dir`, as absolute paths in a stable (sorted) order. */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && isImageFile(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

const stemKey = (dir: string, file: string): string => {
  const rel = relative(dir, file)
  return rel
    .slice(0, rel.length - extname(rel).length)
    .split(sep)
    .join('/')
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
}

/** True when `dir` looks like an image dataset rather than a folder of tables: data-qa's auto-detection. */
export async function looksLikeImageFolder(dir: string): Promise<boolean> {
  if (!(await isDirectory(dir))) return false
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.some((e) => e.isFile() && isImageFile(e.name))
}

async function segmentation(imagesDir: string, masksDir: string, root: string): Promise<ImageDataset> {
  for (const [what, dir] of [
    ['images', imagesDir],
    ['masks', masksDir],
  ] as const) {
    if (!(await isDirectory(dir))) throw new DataError(`${what} folder ${dir} does not exist`, { file: dir })
  }
  const images = await listImages(imagesDir)
  const masks = new Map((await listImages(masksDir)).map((m) => [stemKey(masksDir, m), m]))
  const entries: ImageEntry[] = images.map((file) => {
    const mask = masks.get(stemKey(imagesDir, file))
    masks.delete(stemKey(imagesDir, file))
    return mask === undefined ? { file } : { file, mask }
  })
  return {
    root,
    layout: 'segmentation',
    entries,
    classes: [],
    emptyClasses: [],
    masksDir,
    orphanMasks: [...masks.values()].sort(),
    missingFiles: [],
    unlabelled: [],
  }
}

const FILE_COLUMNS = ['file', 'filename', 'path', 'image']
const LABEL_COLUMNS = ['label', 'class']

async function fromCsv(root: string, labels: string): Promise<ImageDataset> {
  const reader = await openTable(labels, { format: 'csv' })
  const fileIndex = reader.columns.findIndex((c) => FILE_COLUMNS.includes(c.toLowerCase()))
  const labelIndex = reader.columns.findIndex((c) => LABEL_COLUMNS.includes(c.toLowerCase()))
  if (fileIndex < 0 || labelIndex < 0) {
    const missing =
      fileIndex < 0 ? `a file column (${FILE_COLUMNS.join(', ')})` : 'a label column (label, class)'
    throw new DataError(
      `labels file ${labels} needs ${missing}; its header is ${reader.columns.join(',')}${didYouMean(
        fileIndex < 0 ? 'file' : 'label',
        reader.columns,
      )}`,
      { file: labels, line: 1 },
    )
  }
  const present = new Set(await listImages(root))
  const entries: ImageEntry[] = []
  const missingFiles: { file: string; line: number }[] = []
  const listed = new Set<string>()
  for await (const record of reader.records()) {
    const name = record.values[fileIndex]
    const label = record.values[labelIndex]
    if (name === null || name === undefined || name === '') {
      throw new DataError(`${labels}:${record.line}: empty file name`, { file: labels, line: record.line })
    }
    if (label === null || label === undefined || label === '') {
      throw new DataError(`${labels}:${record.line}: no label for ${String(name)}`, {
        file: labels,
        line: record.line,
      })
    }
    const file = resolve(root, String(name))
    if (!present.has(file)) {
      missingFiles.push({ file, line: record.line })
      continue
    }
    listed.add(file)
    entries.push({ file, label: String(label), line: record.line })
  }
  return {
    root,
    layout: 'csv',
    entries,
    classes: [...new Set(entries.map((e) => e.label!))].sort(),
    emptyClasses: [],
    labelsFile: labels,
    orphanMasks: [],
    missingFiles,
    unlabelled: [...present].filter((f) => !listed.has(f)),
  }
}

async function fromFolders(root: string): Promise<ImageDataset> {
  const top = await readdir(root, { withFileTypes: true })
  const classDirs = top
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  const loose = top.filter((e) => e.isFile() && isImageFile(e.name)).map((e) => join(root, e.name))
  if (classDirs.length === 0) {
    return {
      root,
      layout: 'unlabelled',
      entries: loose.sort().map((file) => ({ file })),
      classes: [],
      emptyClasses: [],
      orphanMasks: [],
      missingFiles: [],
      unlabelled: [],
    }
  }
  const entries: ImageEntry[] = []
  const emptyClasses: string[] = []
  for (const label of classDirs) {
    const files = await listImages(join(root, label))
    if (files.length === 0) emptyClasses.push(label)
    for (const file of files) entries.push({ file, label })
  }
  return {
    root,
    layout: 'folders',
    entries,
    classes: classDirs.filter((c) => !emptyClasses.includes(c)),
    emptyClasses,
    orphanMasks: [],
    missingFiles: [],
    unlabelled: loose.sort(),
  }
}

/**
 * Finds the images and their labels. An explicit `masks` folder or an `images/` + `masks/` pair means
 * segmentation; a `labels` CSV means classification by CSV; otherwise sub-folders are classes.
 */
export async function discoverImageDataset(options: ImageDatasetOptions): Promise<ImageDataset> {
  const root = resolve(options.root)
  if (!(await isDirectory(root)))
    throw new DataError(`image folder ${options.root} does not exist`, { file: root })
  if (options.masks !== undefined) {
    if (options.labels !== undefined) {
      throw new DataError(
        'give either a labels CSV (classification) or a masks folder (segmentation), not both',
      )
    }
    return segmentation(root, resolve(options.masks), root)
  }
  if (options.labels !== undefined) return fromCsv(root, resolve(options.labels))
  if ((await isDirectory(join(root, 'images'))) && (await isDirectory(join(root, 'masks')))) {
    return segmentation(join(root, 'images'), join(root, 'masks'), root)
  }
  const dataset = await fromFolders(root)
  if (dataset.entries.length === 0 && dataset.unlabelled.length === 0) {
    throw new DataError(`no PNG or JPEG images under ${options.root}`, { file: root })
  }
  return dataset
}
