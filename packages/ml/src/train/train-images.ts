import * as ort from 'onnxruntime-node'
import { cnnTrainer, type FittedImageModel, type ImageTrainer } from '../nn/cnn-trainer.js'
import { IMAGE_INPUT } from '../nn/export-network.js'
import { defaultPrimaryMetric, GREATER_IS_BETTER, scoreClassifier, type ClassifierScore } from '../score.js'
import { TrainingDataError, trainTestSplit } from './features.js'
import { resolveParams, type Params } from './params.js'
import { kFolds, searchCandidates, validationScore, type SearchSpace } from './search.js'
import { mulberry32 } from './seeded-random.js'
import type { SearchResult, SearchTrial } from './train-tabular.js'
import type { TrainProgress } from './trainer.js'

/** The image trainers by `model-type`. */
export const IMAGE_TRAINERS: Readonly<Record<string, ImageTrainer>> = { cnn: cnnTrainer }

/** Labelled images as one NHWC tensor of raw 0-255 values (what @mlops/data's readImageClassification returns). */
export interface ImageSet {
  pixels: Float32Array
  count: number
  height: number
  width: number
  channels: number
  /** Class index per image, into `classes`. */
  labels: Int32Array
  classes: string[]
}

export interface TrainImagesOptions extends ImageSet {
  trainer?: ImageTrainer
  params?: Readonly<Record<string, unknown>>
  seed?: number
  /** Share of each class held out for the metrics. Default 0.2. */
  testShare?: number
  search?: SearchSpace
  onProgress?: (progress: TrainProgress) => void
  onTrial?: (trial: SearchTrial, index: number, total: number) => void
}

export interface TrainedImages {
  /** `image` [N, H, W, C] raw pixels in (normalised inside the graph), `label` and `probabilities` out. */
  onnx: Uint8Array
  classes: string[]
  task: 'binary' | 'multiclass'
  image: { width: number; height: number; channels: 1 | 3 }
  params: Params
  /** Metrics of the exported graph run by onnxruntime on the stratified holdout. */
  score: ClassifierScore
  /** Largest |onnxruntime - trainer| probability on the holdout. */
  exportError: number
  curve: TrainProgress[]
  details: FittedImageModel['details']
  rows: { train: number; test: number; droppedMissingTarget: number }
  /** Image indices of each split, ascending. */
  split: { train: number[]; test: number[] }
  seed: number
  search?: SearchResult
}

/**
 * Drops the alpha channel by compositing over black (grey+alpha -> grey, RGBA -> RGB), the way serve turns an
 * upload into pixels, so a model trained on transparent PNGs sees the same values when it is served.
 */
export function compositeAlpha(
  pixels: Float32Array,
  channels: number,
): { pixels: Float32Array; channels: number } {
  if (channels !== 2 && channels !== 4) return { pixels, channels }
  const colour = channels - 1
  const count = pixels.length / channels
  const out = new Float32Array(count * colour)
  for (let p = 0; p < count; p++) {
    const alpha = pixels[p * channels + colour]! / 255
    for (let c = 0; c < colour; c++) out[p * colour + c] = pixels[p * channels + c]! * alpha
  }
  return { pixels: out, channels: colour }
}

/**
 * A seeded split that holds out `testShare` of every class (rounded, at least one image of each class with two
 * or more), so a small image set keeps its class balance in both parts as sklearn's `stratify=` does.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testShare: number,
  seed: number,
): { train: number[]; test: number[] } {
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]!) ?? []
    members.push(i)
    byClass.set(labels[i]!, members)
  }
  const random = mulberry32(seed)
  const train: number[] = []
  const test: number[] = []
  for (const key of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(key)!
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[members[i], members[j]] = [members[j]!, members[i]!]
    }
    const held =
      members.length < 2
        ? 0
        : Math.min(members.length - 1, Math.max(1, Math.round(members.length * testShare)))
    test.push(...members.slice(0, held))
    train.push(...members.slice(held))
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) }
}

/** The pixels of some images, in the given order. */
function takeImages(pixels: Float32Array, size: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * size)
  rows.forEach((r, i) => out.set(pixels.subarray(r * size, (r + 1) * size), i * size))
  return out
}

/** Runs the exported graph as the server would: one `image` tensor [N, H, W, C] of raw pixels. */
export async function predictImagesWithOnnx(
  model: Uint8Array,
  images: { pixels: Float32Array; count: number; height: number; width: number; channels: number },
): Promise<{ labels: string[]; probabilities: Float32Array; classCount: number }> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 })
  try {
    const out = await session.run({
      [IMAGE_INPUT]: new ort.Tensor('float32', images.pixels, [
        images.count,
        images.height,
        images.width,
        images.channels,
      ]),
    })
    return {
      labels: [...(out.label!.data as string[])],
      probabilities: out.probabilities!.data as Float32Array,
      classCount: out.probabilities!.dims[1]!,
    }
  } finally {
    await session.release()
  }
}

function checkImageSet(set: ImageSet): void {
  const { count, height, width, channels, classes, labels } = set
  if (set.pixels.length !== count * height * width * channels) {
    throw new TrainingDataError(
      `${set.pixels.length} pixel values for ${count} images of ${width}x${height}x${channels}`,
    )
  }
  if (labels.length !== count) throw new TrainingDataError(`${labels.length} labels for ${count} images`)
  const seen = new Set(labels)
  if (classes.length < 2 || seen.size < 2) {
    const only = classes[[...seen][0] ?? 0]
    throw new TrainingDataError(
      `the images have ${seen.size === 0 ? 'no class' : `only one class ('${only}')`}; a classifier needs two or more`,
    )
  }
}

/**
 * Fits an image classifier end to end: a stratified seeded holdout, an optional search on the training part, the
 * fit, one exported ONNX graph (normalisation inside), and the holdout metrics computed by running that graph in
 * onnxruntime, so the numbers logged are the deployed model's numbers.
 */
export async function trainImages(options: TrainImagesOptions): Promise<TrainedImages> {
  checkImageSet(options)
  const trainer = options.trainer ?? cnnTrainer
  const seed = options.seed ?? 42
  const testShare = options.testShare ?? 0.2
  if (!(testShare > 0 && testShare < 1))
    throw new TrainingDataError(`test share must be between 0 and 1, got ${testShare}`)
  const { height, width, classes } = options
  const { pixels, channels } = compositeAlpha(options.pixels, options.channels)
  if (channels !== 1 && channels !== 3)
    throw new TrainingDataError(
      `images of ${options.channels} channels; expected grey or RGB, with or without alpha`,
    )
  const size = height * width * channels
  const split = stratifiedSplit(options.labels, testShare, seed)
  if (split.test.length === 0) {
    throw new TrainingDataError(
      `${options.count} images are too few to hold out ${testShare * 100}% of a class for testing`,
    )
  }
  const labelsOf = (rows: readonly number[]) => Int32Array.from(rows, (r) => options.labels[r]!)
  const fit = (rows: readonly number[], params: Params, onProgress?: (p: TrainProgress) => void) =>
    trainer.fit({
      pixels: takeImages(pixels, size, rows),
      count: rows.length,
      height,
      width,
      channels,
      labels: labelsOf(rows),
      classes,
      params,
      seed,
      ...(onProgress ? { onProgress } : {}),
    })

  let params = resolveParams(trainer.params, options.params ?? {}, trainer.name)
  let search: SearchResult | undefined
  if (options.search) {
    search = await runImageSearch(options.search, trainer, split.train, seed, classes.length, fit, labelsOf, {
      base: params,
      pixels,
      size,
      ...(options.onTrial ? { onTrial: options.onTrial } : {}),
    })
    params = search.trials[search.best]!.params
  }
  const fitted = await fit(split.train, params, options.onProgress)

  const test = {
    pixels: takeImages(pixels, size, split.test),
    count: split.test.length,
    height,
    width,
    channels,
  }
  const { probabilities } = await predictImagesWithOnnx(fitted.onnx, test)
  const expected = fitted.predictProba(test.pixels, test.count)
  let exportError = 0
  for (let i = 0; i < expected.length; i++)
    exportError = Math.max(exportError, Math.abs(expected[i]! - probabilities[i]!))
  return {
    onnx: fitted.onnx,
    classes,
    task: classes.length === 2 ? 'binary' : 'multiclass',
    image: { width, height, channels },
    params,
    score: scoreClassifier(labelsOf(split.test), probabilities, classes.length),
    exportError,
    curve: fitted.curve,
    details: fitted.details,
    rows: { train: split.train.length, test: split.test.length, droppedMissingTarget: 0 },
    split,
    seed,
    ...(search ? { search } : {}),
  }
}

/** Scores every candidate on the training part only (k folds or one inner holdout); the test images stay unseen. */
async function runImageSearch(
  space: SearchSpace,
  trainer: ImageTrainer,
  train: readonly number[],
  seed: number,
  classCount: number,
  fit: (rows: readonly number[], params: Params) => Promise<FittedImageModel>,
  labelsOf: (rows: readonly number[]) => Int32Array,
  data: {
    /** The given params: a trial overrides only the parameters the space lists. */
    base: Params
    pixels: Float32Array
    size: number
    onTrial?: (trial: SearchTrial, index: number, total: number) => void
  },
): Promise<SearchResult> {
  const metric = space.metric ?? defaultPrimaryMetric(classCount)
  const searched = Object.keys(space.params)
  const candidates = searchCandidates(space, trainer.params, trainer.name, seed).map((candidate) => ({
    ...data.base,
    ...Object.fromEntries(searched.map((name) => [name, candidate[name]!])),
  }))
  const splits: Array<{ fit: number[]; validate: number[] }> = []
  if (space.folds >= 2) {
    const assignment = kFolds(train.length, space.folds, seed)
    for (let f = 0; f < space.folds; f++) {
      splits.push({
        fit: train.filter((_, i) => assignment[i] !== f),
        validate: train.filter((_, i) => assignment[i] === f),
      })
    }
  } else {
    const inner = trainTestSplit(train.length, space.holdout, seed + 1)
    splits.push({ fit: inner.train.map((i) => train[i]!), validate: inner.test.map((i) => train[i]!) })
  }
  const trials: SearchTrial[] = []
  for (const [index, params] of candidates.entries()) {
    const foldScores: number[] = []
    for (const part of splits) {
      const fitted = await fit(part.fit, params)
      const probabilities = fitted.predictProba(
        takeImages(data.pixels, data.size, part.validate),
        part.validate.length,
      )
      foldScores.push(validationScore(metric, labelsOf(part.validate), probabilities, classCount))
    }
    const trial = { params, score: foldScores.reduce((a, b) => a + b, 0) / foldScores.length, foldScores }
    trials.push(trial)
    data.onTrial?.(trial, index, candidates.length)
  }
  const sign = GREATER_IS_BETTER[metric] ? 1 : -1
  const best = trials.reduce((b, t, i) => (sign * t.score > sign * trials[b]!.score ? i : b), 0)
  const validation =
    space.folds >= 2 ? `${space.folds}-fold cross-validation` : `holdout of ${space.holdout * 100}%`
  return { metric, strategy: space.strategy, validation, trials, best }
}
