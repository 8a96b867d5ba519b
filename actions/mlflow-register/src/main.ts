import { basename, join, relative } from 'node:path'
import * as core from '@actions/core'
import { expandDatasetPaths } from '@mlops/data'
import {
  details,
  group,
  markdownTable,
  maskSecret,
  run as runAction,
  setOutputs,
  writeSummary,
} from '@mlops/kit'
import {
  fromEnvironment,
  MlflowError,
  openTrackingStore,
  registerModelBundle,
  type RegisterBundleResult,
} from '@mlops/mlflow'
import { runTags, workflowContext } from './github-context.js'
import { getInputs } from './inputs.js'

function runLink(trackingUri: string | undefined, mlrunsDir: string, result: RegisterBundleResult): string {
  if (trackingUri !== undefined && /^https?:/i.test(trackingUri)) {
    return `${trackingUri}/#/experiments/${result.experimentId}/runs/${result.runId}`
  }
  return join(mlrunsDir, result.experimentId, result.runId)
}

export async function main(): Promise<void> {
  // Credentials exist from the moment the step starts: mask them before anything can print them.
  for (const name of [
    'MLFLOW_TRACKING_TOKEN',
    'MLFLOW_TRACKING_PASSWORD',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
  ]) {
    const value = process.env[name]
    if (value) maskSecret(value)
  }
  const inputs = getInputs()
  const context = workflowContext(process.env)
  const config = fromEnvironment({
    ...process.env,
    ...(inputs.trackingUri ? { MLFLOW_TRACKING_URI: inputs.trackingUri } : {}),
  })
  const store = await openTrackingStore(config, { defaultRoot: inputs.mlrunsDir })
  const root = process.env.GITHUB_WORKSPACE ?? process.cwd()
  const reports = inputs.reports.length > 0 ? await expandDatasetPaths(inputs.reports, root) : []
  core.info(`tracking: ${store.location}`)

  const result = await group(`Registering ${basename(inputs.bundle)} as ${inputs.modelName}`, () =>
    registerModelBundle({
      store,
      bundleDir: inputs.bundle,
      experiment: inputs.experiment ?? context.repositoryName ?? 'mlops-actions',
      modelName: inputs.modelName,
      alias: inputs.alias,
      runName:
        inputs.runName ??
        (context.workflow && context.runNumber
          ? `${context.workflow} #${context.runNumber}`
          : basename(inputs.bundle)),
      ...(context.runUrl === undefined ? {} : { runKey: context.runUrl }),
      ...(context.actor === undefined ? {} : { userId: context.actor }),
      tags: { ...runTags(context), ...inputs.tags },
      reports,
    }),
  )

  const runUrl = runLink(config.trackingUri, inputs.mlrunsDir, result)
  setOutputs({
    'run-id': result.runId,
    'run-url': runUrl,
    'model-version': result.version,
    'model-uri': result.modelUri,
    'alias-uri': result.aliasUri,
    reused: result.reused,
  })
  const verb = result.reused ? 'already registered by an earlier attempt of this workflow run' : 'registered'
  core.info(`${result.modelUri} ${verb}; ${result.aliasUri} -> version ${result.version}`)
  const isUrl = /^https?:/.test(runUrl)
  await writeSummary(
    [
      `## MLflow: ${inputs.modelName} version ${result.version} ${result.reused ? '(reused)' : ''}`.trim(),
      '',
      markdownTable(
        ['', ''],
        [
          ['model', result.modelUri],
          ['alias', `${result.aliasUri} → ${result.version}`],
          [
            'run',
            isUrl ? `${result.runId} (${runUrl})` : `${result.runId} (${relative(root, runUrl) || runUrl})`,
          ],
          ['tracking', store.location],
        ],
      ),
      '',
      details(
        'Load it',
        ['```python', 'import mlflow', `model = mlflow.pyfunc.load_model("${result.aliasUri}")`, '```'].join(
          '\n',
        ),
      ),
      '',
    ].join('\n'),
  )
}

/** MLflow's errors are written for the user (which URL, which variable to set), so they are not reported as bugs. */
export const run = (): Promise<void> => runAction(main, { userErrors: [MlflowError] })
