import { stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import * as core from '@actions/core'
import {
  fetchDvcTracked,
  looksLikeImageFolder,
  parseDvcDatasetRef,
  runImageQa,
  type FetchDvcTrackedResult,
  type ImageQaReport,
} from '@mlops/data'
import { ConfigurationError, createProgress, group } from '@mlops/kit'
import type { Inputs } from './inputs.js'

/**
 * The image folder to check, if this run is about images: the `images` input (a DVC reference is fetched and
 * verified first), or a `dataset` that is a single folder holding PNG or JPEG files.
 */
export async function imageFolderFor(
  inputs: Inputs,
  root: string,
  onFetched: (entry: string, result: FetchDvcTrackedResult) => void,
): Promise<string | undefined> {
  const { folder } = inputs.images
  if (folder === undefined) {
    const [only, ...rest] = inputs.datasets
    if (only === undefined || rest.length > 0 || parseDvcDatasetRef(only) || /[*?[]/.test(only))
      return undefined
    const path = resolve(root, only)
    return (await looksLikeImageFolder(path)) ? path : undefined
  }
  const ref = parseDvcDatasetRef(folder)
  if (ref) {
    const at = (path: string) => (isAbsolute(path) ? path : resolve(root, path))
    const result = await fetchDvcTracked({
      repoRoot: root,
      ...('dvcFile' in ref
        ? { dvcFile: at(ref.dvcFile) }
        : { lockFile: at(ref.lockFile), outPath: ref.outPath }),
      ...inputs.dvcRemote,
    })
    onFetched(folder, result)
    if (!result.isDirectory)
      throw new ConfigurationError(`Input 'images' tracks a file (${result.path}), not a folder`)
    return result.path
  }
  const path = resolve(root, folder)
  const isFolder = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
  if (!isFolder) {
    throw new ConfigurationError(`Input 'images' is '${folder}', but ${path} is not a folder of images`)
  }
  return path
}

/** Runs the image checks with progress in the log; annotations name the files at fault. */
export async function checkImages(folder: string, inputs: Inputs, root: string): Promise<ImageQaReport> {
  const { labels, masks, maskClasses } = inputs.images
  const report = await group(`Checking images in ${relative(root, folder) || '.'}`, async () => {
    let progress: ReturnType<typeof createProgress> | undefined
    const result = await runImageQa({
      root: folder,
      ...(labels === undefined ? {} : { labels }),
      ...(masks === undefined ? {} : { masks }),
      ...(maskClasses === undefined ? {} : { maskClasses }),
      onProgress: ({ images, total }) => {
        progress ??= createProgress({ label: 'decoding images', unit: 'images', total })
        progress.update(images)
      },
    })
    progress?.done(result.summary.images)
    return result
  })
  return report
}

/** One annotation per failed check, placed on the first file it names when that file is in the workspace. */
export function annotateImages(report: ImageQaReport, root: string): void {
  for (const check of report.checks) {
    if (check.success) continue
    const message = `${check.check}: ${check.description}: ${check.observed}`
    const first = check.examples?.[0]
    // A line number is a line of the labels CSV (a listed file that does not exist): annotate the CSV there.
    const onCsv = first !== undefined && first.line > 0 && report.dataset.labelsFile !== null
    const file = first ? relative(root, onCsv ? report.dataset.labelsFile! : first.file) : undefined
    const properties =
      file !== undefined && !file.startsWith('..') && !isAbsolute(file)
        ? { file, title: 'data-qa', ...(onCsv ? { startLine: first!.line } : {}) }
        : { title: 'data-qa' }
    if (check.severity === 'error') core.error(message, properties)
    else core.warning(message, properties)
  }
}
