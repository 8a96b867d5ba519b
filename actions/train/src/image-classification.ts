import { stat, mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, relative, resolve } from 'node:path'
import * as core from '@actions/core'
import {
  buildReferenceProfile,
  DataError,
  fetchDvcDatasets,
  ImageDecodeError,
  readImageClassification,
  type ColumnTable,
  type ImageTensor,
} from '@mlops/data'
import { ConfigurationError, group, setOutputs, writeSummary } from '@mlops/kit'
import { defaultPrimaryMetric, trainImages, writeModelBundle, type TrainedImages } from '@mlops/ml'
import type { Inputs } from './inputs.js'
import { progressLogger } from './progress-log.js'
import { datasetHash, gitSha } from './provenance.js'
import { METRICS_SCHEMA, renderTrainSummary, type TrainReport } from './render-summary.js'

/** The one dataset entry: an image folder (class sub-folders) or a labels CSV whose paths are relative to it. */
async function locateImages(
  inputs: Inputs,
  root: string,
): Promise<{ shown: string; root: string; labels?: string }> {
  if (inputs.datasets.length !== 1) {
    throw new ConfigurationError(
      `Input 'dataset' must name one image folder or one labels CSV for task 'image-classification', got ${inputs.datasets.length}`,
    )
  }
  const [fetched] = await fetchDvcDatasets(inputs.datasets, { repoRoot: root, ...inputs.dvcRemote })
  const path = resolve(root, fetched!)
  const shown = inputs.datasets[0]!
  const found = await stat(path).catch(() => undefined)
  if (found?.isDirectory()) return { shown, root: path }
  if (found?.isFile() && extname(path).toLowerCase() === '.csv')
    return { shown, root: dirname(path), labels: path }
  throw new ConfigurationError(
    found
      ? `Input 'dataset': ${shown} is neither an image folder nor a labels CSV (file,label) for task 'image-classification'`
      : `Input 'dataset': ${shown} does not exist (relative to ${root})`,
  )
}

/** Reads the images; a problem with the data names the input and the file, never a stack trace. */
async function readImages(inputs: Inputs, root: string): Promise<{ images: ImageTensor; shown: string }> {
  const where = await locateImages(inputs, root)
  let images: ImageTensor
  try {
    images = await readImageClassification({
      root: where.root,
      ...(where.labels ? { labels: where.labels } : {}),
    })
  } catch (error) {
    if (error instanceof ImageDecodeError) {
      // The decoder names the file relative to the dataset folder; the annotation wants it from the workspace.
      const file = relative(root, join(where.root, error.file))
      const reason = error.message.slice(error.file.length + 2)
      throw new ConfigurationError(
        `Input 'dataset': cannot read image ${file}: ${reason}; fix or remove it (data-qa lists every unreadable image)`,
        { file },
      )
    }
    if (error instanceof DataError && where.labels && /needs a (file|label) column/.test(error.message)) {
      throw new ConfigurationError(
        `Input 'dataset': ${where.shown} is a table, not a labels CSV of images: ${error.message}. ` +
          "To train on a table, use task 'tabular' with a tabular model-type",
        { file: where.labels, line: 1 },
      )
    }
    throw error
  }
  if (images.classes.length < 2) {
    const source = where.labels ? 'labels in the CSV' : 'class sub-folders with images'
    throw new ConfigurationError(
      `Input 'dataset': ${where.shown} has only one class ('${images.classes[0] ?? ''}', ${images.count} images); image classification needs two or more ${source}`,
    )
  }
  return { images, shown: where.shown }
}

/**
 * The reference profile of an image set, for drift checks: per image its mean brightness and contrast (standard
 * deviation) on the 0-255 scale, and its label. A shift in lighting or exposure moves these first.
 */
export function imageReferenceTable(images: ImageTensor, files: string[]): ColumnTable {
  const size = images.height * images.width * images.channels
  const brightness: number[] = []
  const contrast: number[] = []
  for (let i = 0; i < images.count; i++) {
    let sum = 0
    let squares = 0
    for (let k = i * size; k < (i + 1) * size; k++) {
      sum += images.pixels[k]!
      squares += images.pixels[k]! ** 2
    }
    const mean = sum / size
    brightness.push(mean)
    contrast.push(Math.sqrt(Math.max(0, squares / size - mean * mean)))
  }
  return {
    files,
    rows: images.count,
    columns: [
      { name: 'brightness', kind: 'numeric', values: brightness },
      { name: 'contrast', kind: 'numeric', values: contrast },
      { name: 'label', kind: 'categorical', values: Array.from(images.labels, (l) => images.classes[l]!) },
    ],
  }
}

/** task: image-classification — images in, the same bundle, metrics.json, summary and outputs as a table. */
export async function trainImageClassifier(inputs: Inputs, root: string): Promise<void> {
  const trainer = inputs.imageTrainer!
  const { images, shown } = await group(`Reading images from ${inputs.datasets.join(', ')}`, async () => {
    const read = await readImages(inputs, root)
    const counts = read.images.classes.map(
      (c, i) => `${c} ${read.images.labels.filter((l) => l === i).length}`,
    )
    core.info(
      `${read.images.count} images of ${read.images.width}x${read.images.height}x${read.images.channels}; ${counts.join(', ')}`,
    )
    return read
  })
  const trained: TrainedImages = await group(`Training ${trainer.name}`, () =>
    trainImages({
      ...images,
      trainer,
      params: inputs.params,
      seed: inputs.seed,
      testShare: inputs.testSize,
      ...(inputs.search ? { search: inputs.search } : {}),
      onProgress: progressLogger(trainer.name),
      onTrial: (trial, index, total) =>
        core.info(
          `trial ${index + 1}/${total}: ${JSON.stringify(trial.params)} -> ${trial.score.toFixed(5)}`,
        ),
    }),
  )

  const primary = defaultPrimaryMetric(trained.classes.length)
  const metrics = Object.fromEntries(
    Object.entries(trained.score.metrics).filter((e): e is [string, number] => e[1] !== undefined),
  )
  const outputDir = resolve(root, inputs.outputDir)
  // The hash covers every image in reading order, and the labels CSV when the labels come from one.
  const hashed = basename(shown).toLowerCase().endsWith('.csv')
    ? [...images.files, resolve(root, shown)]
    : images.files
  const [dataHash, sha] = await Promise.all([datasetHash(hashed), gitSha(root)])
  const bundle = await writeModelBundle(outputDir, {
    onnx: trained.onnx,
    info: {
      task: trained.task,
      target: inputs.target,
      labels: trained.classes,
      features: [],
      modelType: trainer.name,
      params: trained.params,
      metrics,
      dataHash,
      gitSha: sha,
      // Raw 0-255 pixels go in; the normalisation is a node of the graph.
      image: { ...trained.image, scale: 1 },
    },
    reference: buildReferenceProfile(imageReferenceTable(images, images.files)),
  })
  const report: TrainReport = {
    schema: METRICS_SCHEMA,
    modelType: trainer.name,
    task: trained.task,
    classes: trained.classes,
    primaryMetric: primary,
    metrics,
    confusion: trained.score.report.confusion,
    perClass: trained.score.report.perClass,
    rows: trained.rows,
    exportError: trained.exportError,
    curve: trained.curve,
    importances: [],
    details: trained.details,
    params: trained.params,
    seed: trained.seed,
    image: trained.image,
    ...(trained.search ? { search: trained.search } : {}),
  }
  const metricsPath = join(outputDir, 'metrics.json')
  await mkdir(outputDir, { recursive: true })
  await writeFile(metricsPath, JSON.stringify(report, null, 2) + '\n')
  await writeSummary(renderTrainSummary(report, relative(root, outputDir) || '.'))
  setOutputs({
    bundle: outputDir,
    metrics: metricsPath,
    'primary-metric': primary,
    'primary-value': metrics[primary] ?? '',
  })
  core.info(
    `${bundle.info.modelType}: ${primary} ${metrics[primary]?.toFixed(4) ?? 'n/a'} on ${trained.rows.test} held-out images; bundle in ${relative(root, outputDir) || '.'}`,
  )
}
