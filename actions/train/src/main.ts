import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import * as core from '@actions/core'
import {
  buildReferenceProfile,
  DataError,
  expandDatasetPaths,
  fetchDvcDatasets,
  looksLikeImageFolder,
  readColumns,
  type ColumnTable,
} from '@mlops/data'
import { ConfigurationError, group, maskSecret, run as runAction, setOutputs, writeSummary } from '@mlops/kit'
import {
  BundleFormatError,
  defaultPrimaryMetric,
  ParamError,
  SearchSpaceError,
  trainTabular,
  TrainingDataError,
  writeModelBundle,
  type TabularColumn,
} from '@mlops/ml'
import { trainWithCommand, CommandModelError } from './byo-command.js'
import { trainImageClassifier } from './image-classification.js'
import { progressLogger } from './progress-log.js'
import { datasetHash, gitSha } from './provenance.js'
import { getInputs, type Inputs } from './inputs.js'
import { METRICS_SCHEMA, renderTrainSummary, type TrainReport } from './render-summary.js'

export { METRICS_SCHEMA }

async function loadTable(inputs: Inputs, root: string): Promise<ColumnTable> {
  const fetched = await fetchDvcDatasets(inputs.datasets, { repoRoot: root, ...inputs.dvcRemote })
  const files = await expandDatasetPaths(fetched, root)
  return group(
    `Reading ${files.length === 1 ? relative(root, files[0]!) : `${files.length} files`}`,
    async () => {
      let logged = 0
      const table = await readColumns(files, {
        format: inputs.format,
        kinds: Object.fromEntries(inputs.categorical.map((c) => [c, 'categorical' as const])),
        onProgress: (rows) => {
          if (rows - logged >= 100_000) {
            logged = rows
            core.info(`${rows.toLocaleString('en-US')} rows read`)
          }
        },
      })
      core.info(`${table.rows.toLocaleString('en-US')} rows x ${table.columns.length} columns`)
      return table
    },
  )
}

export async function main(): Promise<void> {
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const value = process.env[name]
    if (value) maskSecret(value)
  }
  const inputs = getInputs()
  const root = process.env.GITHUB_WORKSPACE ?? process.cwd()
  if (inputs.task === 'image-classification') return trainImageClassifier(inputs, root)
  for (const dataset of inputs.datasets) {
    if (await looksLikeImageFolder(resolve(root, dataset))) {
      throw new ConfigurationError(
        `Input 'dataset': ${dataset} is a folder of images, not a table; set 'task: image-classification' (model-type cnn) to train on images`,
      )
    }
  }
  const table = await loadTable(inputs, root)
  const columns: TabularColumn[] = table.columns.map((c) => ({
    name: c.name,
    kind: c.kind,
    values: c.values,
  }))

  const trained = inputs.command
    ? await group('Training with your command', () =>
        trainWithCommand({
          command: inputs.command!,
          columns,
          target: inputs.target,
          exclude: inputs.exclude,
          seed: inputs.seed,
          testShare: inputs.testSize,
          cwd: root,
        }),
      )
    : await group(`Training ${inputs.trainer.name}`, () =>
        trainTabular({
          columns,
          target: inputs.target,
          trainer: inputs.trainer,
          params: inputs.params,
          exclude: inputs.exclude,
          seed: inputs.seed,
          testShare: inputs.testSize,
          ...(inputs.search ? { search: inputs.search } : {}),
          onProgress: progressLogger(inputs.trainer.name),
          onTrial: (trial, index, total) =>
            core.info(
              `trial ${index + 1}/${total}: ${JSON.stringify(trial.params)} -> ${trial.score.toFixed(5)}`,
            ),
        }),
      )
  if (trained.rows.droppedMissingTarget > 0) {
    core.warning(
      `${trained.rows.droppedMissingTarget} rows have no '${inputs.target}' value and were left out`,
    )
  }

  const primary = defaultPrimaryMetric(trained.classes.length)
  const metrics = Object.fromEntries(
    Object.entries(trained.score.metrics).filter((e): e is [string, number] => e[1] !== undefined),
  )
  const outputDir = resolve(root, inputs.outputDir)
  const [dataHash, sha] = await Promise.all([datasetHash(table.files), gitSha(root)])
  const bundle = await writeModelBundle(outputDir, {
    onnx: trained.onnx,
    info: {
      task: trained.task,
      target: inputs.target,
      labels: trained.classes,
      features: trained.specs,
      modelType: inputs.command ? 'command' : inputs.trainer.name,
      params: inputs.command ? { command: inputs.command } : trained.params,
      metrics,
      dataHash,
      gitSha: sha,
    },
  })
  const report: TrainReport = {
    schema: METRICS_SCHEMA,
    modelType: bundle.info.modelType,
    task: trained.task,
    classes: trained.classes,
    primaryMetric: primary,
    metrics,
    confusion: trained.score.report.confusion,
    perClass: trained.score.report.perClass,
    rows: trained.rows,
    exportError: trained.exportError,
    curve: trained.curve,
    importances: trained.importances,
    details: trained.details,
    params: bundle.info.params,
    seed: trained.seed,
    ...(trained.search ? { search: trained.search } : {}),
  }
  const metricsPath = join(outputDir, 'metrics.json')
  await mkdir(outputDir, { recursive: true })
  await writeFile(metricsPath, JSON.stringify(report, null, 2) + '\n')
  // The training data's profile, for drift checks at serve time and in drift-check (target included).
  const referenceProfile = buildReferenceProfile(table, { exclude: inputs.exclude })
  await writeFile(join(outputDir, 'reference.json'), JSON.stringify(referenceProfile) + '\n')
  await writeSummary(renderTrainSummary(report, relative(root, outputDir) || '.'))
  setOutputs({
    bundle: outputDir,
    metrics: metricsPath,
    'primary-metric': primary,
    'primary-value': metrics[primary] ?? '',
  })
  core.info(
    `${bundle.info.modelType}: ${primary} ${metrics[primary]?.toFixed(4) ?? 'n/a'} on ${trained.rows.test} holdout rows; bundle in ${relative(root, outputDir) || '.'}`,
  )
}

/** Mistakes in the data, the params or the user's own model are the user's to fix, not bugs. */
export const run = (): Promise<void> =>
  runAction(main, {
    userErrors: [
      DataError,
      TrainingDataError,
      ParamError,
      SearchSpaceError,
      BundleFormatError,
      CommandModelError,
    ],
  })
