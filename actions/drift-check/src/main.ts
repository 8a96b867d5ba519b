import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, relative } from 'node:path'
import * as core from '@actions/core'
import { DataError, detectDrift, didYouMean, type DriftReport, type ReferenceProfile } from '@mlops/data'
import { ConfigurationError, group, run as runAction, setOutputs, writeSummary } from '@mlops/kit'
import { dispatchWorkflow, upsertIssue, type IssueResult } from './github-api.js'
import { getInputs, type Inputs } from './inputs.js'
import { loadCurrent } from './load-current.js'
import { loadReference } from './load-reference.js'
import { formatScore, renderDriftSummary, renderIssueBody } from './render-summary.js'

export const DRIFT_REPORT_SCHEMA = 'mlops-actions/drift-report@1'

/** fail-on-drift: the check did its job and found drift; the message is the finding, not a crash. */
export class DriftDetectedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DriftDetectedError'
  }
}

/** Column names in inputs are checked against the reference up front, naming the input that holds the typo. */
function checkColumnNames(inputs: Inputs, profile: ReferenceProfile): void {
  const names = profile.columns.map((column) => column.name)
  const check = (name: string, where: string): void => {
    if (!names.includes(name))
      throw new ConfigurationError(
        `${where}: column '${name}' is not in the reference${didYouMean(name, names)}`,
      )
  }
  for (const name of inputs.columns) check(name, "Input 'columns'")
  for (const name of inputs.exclude)
    if (!names.includes(name))
      core.info(`exclude-columns: '${name}' is not in the reference; nothing to exclude`)
  for (const name of Object.keys(inputs.columnOptions.options)) check(name, inputs.columnOptions.source)
}

function runUrl(): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = process.env
  return GITHUB_SERVER_URL && GITHUB_REPOSITORY && GITHUB_RUN_ID
    ? `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
    : undefined
}

export async function main(): Promise<void> {
  const inputs = getInputs()
  const root = process.env['GITHUB_WORKSPACE'] || process.cwd()
  const reference = await group('Reading the reference', async () => {
    const loaded = await loadReference(inputs.reference, root)
    core.info(`${loaded.description}: ${loaded.profile.columns.length} columns`)
    return loaded
  })
  checkColumnNames(inputs, reference.profile)
  const current = await group('Reading the current data', async () => {
    const loaded = await loadCurrent(inputs.current, inputs.currentFormat, root, reference.profile)
    core.info(`${loaded.description}: ${loaded.table.columns.length} columns`)
    return loaded
  })
  const report: DriftReport = detectDrift(reference.profile, current.table, {
    ...(inputs.columns.length > 0 && { columns: inputs.columns }),
    exclude: inputs.exclude,
    perColumn: inputs.columnOptions.options,
    shareThreshold: inputs.shareThreshold,
    minSamples: inputs.minSamples,
  })
  if (report.columns.length === 0)
    throw new ConfigurationError(
      `No column to test: the current data shares no column with the reference (reference columns: ${reference.profile.columns
        .slice(0, 10)
        .map((column) => column.name)
        .join(', ')}${reference.profile.columns.length > 10 ? ', ...' : ''})`,
    )
  const drifted = report.columns.filter((column) => column.drifted).map((column) => column.column)
  for (const column of report.columns)
    core.info(
      `${column.column}: ${column.method} ${formatScore(column.score)} (threshold ${column.threshold}) -> ${column.status}`,
    )

  await mkdir(dirname(inputs.reportPath), { recursive: true })
  await writeFile(
    inputs.reportPath,
    JSON.stringify(
      {
        schema: DRIFT_REPORT_SCHEMA,
        reference: reference.description,
        current: current.description,
        ...report,
      },
      null,
      2,
    ) + '\n',
  )
  setOutputs({
    'drift-detected': report.datasetDrift,
    'drifted-share': report.driftedShare,
    'drifted-columns': JSON.stringify(drifted),
    report: inputs.reportPath,
  })

  let issue: IssueResult | undefined
  let dispatched: { workflow: string; ref: string } | undefined
  if (report.datasetDrift && inputs.github) {
    const repo = inputs.github
    if (inputs.issue) {
      issue = await upsertIssue(repo, {
        title: inputs.issue.title,
        marker: inputs.issue.marker,
        body: renderIssueBody(report, runUrl()),
      })
      core.info(`Issue #${issue.number} ${issue.action}: ${issue.url}`)
    }
    if (inputs.dispatch) {
      const values = { drifted_columns: drifted.join(','), drifted_share: String(report.driftedShare) }
      const dispatchInputs = Object.fromEntries(
        Object.entries(inputs.dispatch.inputs).map(([key, value]) => [
          key,
          value.replace(
            /\$\{(drifted_columns|drifted_share)\}/g,
            (_, name: keyof typeof values) => values[name],
          ),
        ]),
      )
      await dispatchWorkflow(repo, { ...inputs.dispatch, inputs: dispatchInputs })
      dispatched = { workflow: inputs.dispatch.workflow, ref: inputs.dispatch.ref }
      core.info(`Dispatched ${inputs.dispatch.workflow} on ${inputs.dispatch.ref}`)
    }
  }
  await writeSummary(
    renderDriftSummary({
      report,
      reference: reference.description,
      current: current.description,
      issue,
      dispatched,
    }),
  )
  const verdict = `${drifted.length} of ${report.columns.length} columns drifted (share ${formatScore(report.driftedShare)}, threshold ${report.shareThreshold})${drifted.length > 0 ? `: ${drifted.join(', ')}` : ''}`
  core.info(
    `${report.datasetDrift ? 'Dataset drift' : 'No dataset drift'}: ${verdict}; report in ${relative(root, inputs.reportPath)}`,
  )
  if (report.datasetDrift && inputs.failOnDrift) throw new DriftDetectedError(`Dataset drift: ${verdict}`)
}

/** Bad data, a bad profile and found drift (with fail-on-drift) are the user's to act on, not bugs. */
export const run = (): Promise<void> => runAction(main, { userErrors: [DataError, DriftDetectedError] })
