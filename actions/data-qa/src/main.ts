import { mkdir, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import * as core from '@actions/core'
import {
  DataError,
  defaultSuite,
  describeDatasets,
  expandDatasetPaths,
  fetchDvcDatasets,
  readExpectationSuite,
  runDataQa,
  type DataQaReport,
  type FetchDvcTrackedResult,
} from '@mlops/data'
import {
  ConfigurationError,
  createProgress,
  group,
  run as runAction,
  setOutputs,
  writeSummary,
} from '@mlops/kit'
import { annotateImages, checkImages, imageFolderFor } from './check-images.js'
import { getInputs, type Inputs } from './inputs.js'
import { renderHtml } from './render-html.js'
import { renderImageHtml, renderImageMarkdown } from './render-images.js'
import { renderMarkdown, where } from './render-markdown.js'

/** Annotates the expectations file at each failed check, where the user will fix it. */
function annotate(report: DataQaReport, root: string): void {
  for (const check of report.checks) {
    if (check.success) continue
    const message = `${check.check}: ${check.description}: ${check.observed}`
    const location = where(check, report.expectationsFile, root)
    const properties =
      report.expectationsFile !== null && check.line !== undefined
        ? { file: relative(root, report.expectationsFile), startLine: check.line, title: 'data-qa' }
        : { title: 'data-qa' }
    if (check.severity === 'error') core.error(message, properties)
    else core.warning(message, properties)
    if (!location) core.debug(`no expectations-file line for ${check.check}`)
  }
}

/**
 * Paths relative to the working directory (the workspace, on a runner) when inside it: they open the same
 * files and make every message and annotation read `data/train.csv:12`, not a long absolute path.
 */
function shortPath(file: string): string {
  const inside = relative(process.cwd(), file)
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : file
}

function onFetched(entry: string, result: FetchDvcTrackedResult): void {
  const what = result.isDirectory ? `${result.files} files` : `${result.bytes} bytes`
  const how =
    result.downloaded > 0 ? `${result.downloaded} objects from ${result.remote}` : 'already up to date'
  core.info(`${entry}: ${what} in ${shortPath(result.path)}, md5 verified (${how})`)
}

/**
 * What both modes (tables and image folders) end with: report.json/.md/.html, the job summary, annotations, the
 * outputs (`rows` or `images` as the size), a closing line, and the step failing when `fail-on` says so.
 */
async function publishReport(
  report: {
    status: DataQaReport['status']
    summary: { checks: number; passed: number; failed: number; warned: number }
  },
  inputs: Inputs,
  root: string,
  rendered: { markdown: string; html: string; annotate: () => void; size: Record<string, number> },
): Promise<void> {
  const reportDir = resolve(root, inputs.reportDir)
  await mkdir(reportDir, { recursive: true })
  const paths = { json: join(reportDir, 'report.json'), html: join(reportDir, 'report.html') }
  await writeFile(paths.json, JSON.stringify(report, null, 2) + '\n')
  await writeFile(join(reportDir, 'report.md'), rendered.markdown)
  await writeFile(paths.html, rendered.html)
  await writeSummary(rendered.markdown)
  if (inputs.annotations) rendered.annotate()
  const { summary } = report
  setOutputs({
    status: report.status,
    checks: summary.checks,
    failed: summary.failed,
    warned: summary.warned,
    ...rendered.size,
    report: paths.json,
    'html-report': paths.html,
  })
  core.info(
    `data-qa ${report.status}: ${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warnings; report in ${relative(root, reportDir) || '.'}`,
  )
  failIfNeeded(report.status, summary, inputs.failOn, paths.html, root)
}

/** Fails the step when the status calls for it under `fail-on`, pointing at the HTML report. */
function failIfNeeded(
  status: DataQaReport['status'],
  summary: { failed: number; warned: number },
  failOn: Inputs['failOn'],
  html: string,
  root: string,
): void {
  const failing = status === 'fail' || (failOn === 'warning' && status === 'warn')
  if (!failing) return
  const count = failOn === 'warning' ? summary.failed + summary.warned : summary.failed
  core.setFailed(
    `data-qa found ${count} failed check${count === 1 ? '' : 's'} (fail-on: ${failOn}); see the annotations and ${relative(root, html)}`,
  )
}

/** The image-dataset run: same outputs and report files as a table run, with `images` instead of `rows`. */
async function mainImages(folder: string, inputs: Inputs, root: string): Promise<void> {
  const tableOnly = [
    ['expectations', inputs.expectations !== undefined],
    ['label-column', inputs.labelColumn !== undefined],
    ['test-dataset', inputs.testDatasets.length > 0],
  ] as const
  for (const [name, set] of tableOnly) {
    if (set) core.warning(`Input '${name}' is for tables and is ignored for an image dataset`)
  }
  const report = await checkImages(folder, inputs, root)
  await publishReport(report, inputs, root, {
    markdown: renderImageMarkdown(report, root),
    html: renderImageHtml(report, root),
    annotate: () => annotateImages(report, root),
    size: { images: report.summary.images },
  })
}

export async function main(): Promise<void> {
  const inputs = getInputs()
  const root = process.env.GITHUB_WORKSPACE ?? process.cwd()
  const imageFolder = await imageFolderFor(inputs, root, onFetched)
  if (imageFolder !== undefined) return mainImages(imageFolder, inputs, root)
  const { labels, masks, maskClasses } = inputs.images
  if (labels !== undefined || masks !== undefined || maskClasses !== undefined) {
    throw new ConfigurationError(
      "Inputs 'labels', 'masks' and 'mask-classes' are for image datasets; give the image folder as 'images'",
    )
  }
  const local = (entries: string[]) =>
    fetchDvcDatasets(entries, { repoRoot: root, ...inputs.dvcRemote, onFetched })
  const datasets = (await expandDatasetPaths(await local(inputs.datasets), root)).map(shortPath)
  const testDatasets =
    inputs.testDatasets.length > 0
      ? (await expandDatasetPaths(await local(inputs.testDatasets), root)).map(shortPath)
      : []
  const suite = inputs.expectations
    ? await readExpectationSuite(shortPath(inputs.expectations))
    : defaultSuite()
  core.info(
    `expectations: ${inputs.expectations ? `${suite.expectations.length} from ${relative(root, inputs.expectations)}` : 'none (profile and dataset checks only)'}`,
  )

  const report = await group(`Checking ${describeDatasets(datasets)}`, async () => {
    let progress: ReturnType<typeof createProgress> | undefined
    let position = 0
    const result = await runDataQa({
      datasets,
      testDatasets,
      suite,
      format: inputs.format,
      ...(inputs.delimiter === undefined ? {} : { delimiter: inputs.delimiter }),
      ...(inputs.labelColumn === undefined ? {} : { labelColumn: inputs.labelColumn }),
      onProgress: ({ rows, bytesRead, totalBytes }) => {
        progress ??= createProgress({
          label: `reading ${describeDatasets(datasets)}`,
          unit: 'rows',
          total: totalBytes,
          totalUnit: 'bytes',
        })
        position = bytesRead
        progress.update(rows, bytesRead)
      },
    })
    progress?.done(result.summary.rows, position)
    return result
  })

  await publishReport(report, inputs, root, {
    markdown: renderMarkdown(report, root),
    html: renderHtml(report, root),
    annotate: () => annotate(report, root),
    size: { rows: report.summary.rows },
  })
}

/** The entry point the runner (via index.ts) and @github/local-action call: bad data is a user error, not a bug. */
export const run = (): Promise<void> => runAction(main, { userErrors: [DataError] })
