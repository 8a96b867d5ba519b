import { mkdir, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import * as core from '@actions/core'
import {
  details,
  group,
  maskSecret,
  markdownTable,
  run as runAction,
  setOutputs,
  warning,
  writeSummary,
} from '@mlops/kit'
import {
  checkRenderedManifest,
  createHelmRunner,
  deployRelease,
  HelmError,
  KubeConfigurationError,
  kubeconfigSecrets,
  parseManifest,
  runHelm,
  withKubeconfig,
  type DeployResult,
  type HelmCommandOptions,
  type HelmRunner,
} from '@mlops/kube'
import { recordGithubDeployment } from './github-deployment.js'
import { getInputs, type Inputs } from './inputs.js'

/** A rollout that did not become ready is the deployment's fault, not a bug in the action. */
export class DeploymentFailedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DeploymentFailedError'
  }
}

export interface Dependencies {
  createHelmRunner: (o: HelmCommandOptions) => Promise<HelmRunner>
}

function workspacePath(root: string, path: string): string {
  return isAbsolute(path) ? path : resolve(root, path)
}

function chartRef(root: string, chart: string): string {
  // A local chart is resolved against the workspace; repo/name and oci:// references go to helm as they are.
  if (chart.startsWith('oci://') || chart.includes('://')) return chart
  const local = workspacePath(root, chart)
  return existsSync(local) ? local : chart
}

function setStringValues(inputs: Inputs): Record<string, string> {
  return {
    'image.digest': inputs.imageDigest,
    ...(inputs.imageRepository ? { 'image.repository': inputs.imageRepository } : {}),
    ...(inputs.modelName ? { 'model.name': inputs.modelName } : {}),
    ...(inputs.modelVersion ? { 'model.version': inputs.modelVersion } : {}),
  }
}

/** A release label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
}

function provenance(inputs: Inputs): { description: string; labels: Record<string, string> } {
  const actor = process.env.GITHUB_ACTOR ?? process.env.USER ?? 'unknown'
  const repo = process.env.GITHUB_REPOSITORY
  const runUrl =
    repo && process.env.GITHUB_RUN_ID
      ? `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID}`
      : undefined
  const model = inputs.modelVersion
    ? `model ${inputs.modelName ?? ''} v${inputs.modelVersion}`.replace('  ', ' ')
    : ''
  const description = [
    `deployed by ${actor}`,
    `image ${inputs.imageDigest}`,
    model,
    runUrl ? `run ${runUrl}` : '',
  ]
    .filter((x) => x !== '')
    .join('; ')
  const labels: Record<string, string> = {
    'deployed-by': labelValue(actor),
    'image-digest': inputs.imageDigest.slice('sha256:'.length, 'sha256:'.length + 12),
  }
  if (inputs.modelVersion) labels['model-version'] = labelValue(inputs.modelVersion)
  if (inputs.modelName) labels['model-name'] = labelValue(inputs.modelName)
  if (process.env.GITHUB_SHA) labels['git-sha'] = process.env.GITHUB_SHA.slice(0, 12)
  return { description, labels }
}

function serviceOf(
  result: Pick<DeployResult, 'objects' | 'namespace'>,
): { name: string; url: string } | undefined {
  const service = result.objects.find((o) => o.kind === 'Service')
  if (!service) return undefined
  const port = service.ports?.[0]?.port ?? 80
  const ns = service.namespace ?? result.namespace
  return { name: service.name, url: `http://${service.name}.${ns}.svc.cluster.local:${port}` }
}

function renderSummary(inputs: Inputs, result: DeployResult, helmVersion: string): string {
  const icon = result.status === 'deployed' ? '✅' : result.status === 'rolled-back' ? '↩️' : '❌'
  const parts = [
    `## ${icon} helm-deploy: ${inputs.release} ${result.status}`,
    markdownTable(
      ['', ''],
      [
        ['release', `${inputs.release} (namespace ${inputs.namespace})`],
        ['revision', result.revision],
        ['previous revision', result.previousRevision ?? 'none (first install)'],
        ['image digest', inputs.imageDigest],
        [
          'model',
          `${inputs.modelName ?? ''} ${inputs.modelVersion ? `v${inputs.modelVersion}` : ''}`.trim() || 'n/a',
        ],
        ['chart', inputs.chart],
        ['helm', helmVersion],
      ],
    ),
  ]
  if (result.rollouts.length > 0) {
    parts.push(
      markdownTable(
        ['deployment', 'result', 'ready', 'served versions', 'seconds', 'message'],
        result.rollouts.map((r) => [
          r.deployment,
          r.phase,
          `${r.replicas.ready}/${r.replicas.desired}`,
          [...new Set(r.servedVersions)].join(', '),
          Number((r.elapsedMs / 1000).toFixed(1)),
          r.message,
        ]),
      ),
    )
  }
  if (result.failures.length > 0)
    parts.push('### What failed\n\n' + result.failures.map((f) => `- ${f}`).join('\n'))
  if (result.rollback) {
    parts.push(`### Rollback\n\n${result.rollback.ok ? '✅' : '❌'} ${result.rollback.message}`)
  }
  if (result.diagnosticsMarkdown) parts.push(result.diagnosticsMarkdown)
  return parts.join('\n\n') + '\n'
}

async function dryRun(inputs: Inputs, root: string): Promise<void> {
  const o: HelmCommandOptions = { binary: inputs.helm }
  const chart = chartRef(root, inputs.chart)
  const valueArgs = [
    ...inputs.valuesFiles.flatMap((f) => ['--values', workspacePath(root, f)]),
    ...Object.entries(setStringValues(inputs)).flatMap(([k, v]) => ['--set-string', `${k}=${v}`]),
  ]
  const version = await createHelmRunner(o).then((h) => h.version)
  const rendered = await group(`helm lint and template (${version})`, async () => {
    if (!chart.includes('://')) core.info(await runHelm(['lint', chart, '--strict', ...valueArgs], o))
    const args = ['template', inputs.release, chart, '--namespace', inputs.namespace, ...valueArgs]
    if (inputs.chartVersion) args.push('--version', inputs.chartVersion)
    return runHelm(args, o)
  })
  const objects = parseManifest(rendered)
  // The embedded default when there is no cluster: what the API server would reject or silently drop.
  const fieldProblems = checkRenderedManifest(rendered)
  const unchecked = fieldProblems.filter((f) => !f.checked).map((f) => f.object)
  if (unchecked.length > 0) core.info(`not field-checked (no built-in schema): ${unchecked.join(', ')}`)
  const problems = fieldProblems.flatMap((f) => f.problems.map((p) => `${f.object}: ${p}`))
  const manifest = inputs.manifestPath
    ? resolve(root, inputs.manifestPath)
    : join(process.env.RUNNER_TEMP ?? root, 'helm-deploy', `${inputs.release}.yaml`)
  await mkdir(dirname(manifest), { recursive: true })
  await writeFile(manifest, rendered)
  const service = serviceOf({ objects, namespace: inputs.namespace })
  setOutputs({
    status: 'rendered',
    manifest,
    service: service?.name ?? '',
    'service-url': service?.url ?? '',
  })
  await writeSummary(
    `## helm-deploy (dry run): ${inputs.release}\n\nRendered with ${version}: ` +
      `${objects.map((x) => `${x.kind}/${x.name}`).join(', ')}\n\n` +
      details('Manifest', '```yaml\n' + rendered.trim() + '\n```'),
  )
  if (problems.length > 0) {
    throw new DeploymentFailedError(
      `the rendered manifest does not match the Kubernetes schemas:\n${problems.join('\n')}`,
    )
  }
  core.info(`rendered ${objects.length} objects into ${manifest}; every built-in object matches its schema`)
}

export async function main(deps: Dependencies = { createHelmRunner }): Promise<void> {
  const inputs = getInputs()
  const root = process.env.GITHUB_WORKSPACE ?? process.cwd()
  if (inputs.dryRun) return dryRun(inputs, root)
  const { description, labels } = provenance(inputs)

  let result: DeployResult | undefined
  let helmVersion = ''
  try {
    await withKubeconfig(inputs.kubeconfig, async ({ path, kubeConfig }) => {
      const secrets = kubeconfigSecrets(kubeConfig)
      for (const secret of secrets) maskSecret(secret)
      const helm = await deps.createHelmRunner({ binary: inputs.helm, kubeconfigPath: path, secrets })
      helmVersion = `Helm ${helm.major}`
      core.info(`${helmVersion}; deploying ${inputs.release} to namespace ${inputs.namespace}`)
      result = await group(`Deploying ${inputs.release}`, () =>
        deployRelease({
          helm,
          kubeConfig,
          release: inputs.release,
          namespace: inputs.namespace,
          chart: chartRef(root, inputs.chart),
          ...(inputs.chartVersion ? { chartVersion: inputs.chartVersion } : {}),
          valuesFiles: inputs.valuesFiles.map((f) => workspacePath(root, f)),
          setString: setStringValues(inputs),
          timeoutSeconds: inputs.timeoutSeconds,
          createNamespace: inputs.createNamespace,
          description,
          labels,
          wait: inputs.wait,
          ...(inputs.modelVersion && inputs.wait ? { expectedModelVersion: inputs.modelVersion } : {}),
          rollbackOnFailure: inputs.rollbackOnFailure,
          logLines: inputs.logLines,
          onProgress: (m) => core.info(m),
        }),
      )
    })
  } catch (error) {
    if (error instanceof KubeConfigurationError) throw new DeploymentFailedError(error.message)
    throw error
  }
  const r = result!
  const service = serviceOf(r)
  setOutputs({
    revision: r.revision,
    'previous-revision': r.previousRevision ?? '',
    status: r.status,
    service: service?.name ?? '',
    'service-url': service?.url ?? '',
  })
  await writeSummary(renderSummary(inputs, r, helmVersion))

  if (inputs.github) {
    const repository = process.env.GITHUB_REPOSITORY
    if (!repository) warning('GITHUB_REPOSITORY is not set: the GitHub deployment is not recorded')
    else {
      try {
        const id = await recordGithubDeployment({
          token: inputs.github.token,
          environment: inputs.github.environment,
          repository,
          ref: process.env.GITHUB_SHA ?? process.env.GITHUB_REF ?? 'HEAD',
          description: `${inputs.release} r${r.revision} ${r.status}: ${inputs.modelName ?? 'model'} v${inputs.modelVersion ?? '?'}`,
          payload: {
            release: inputs.release,
            namespace: inputs.namespace,
            digest: inputs.imageDigest,
            revision: String(r.revision),
          },
          state: r.status === 'deployed' ? 'success' : 'failure',
          ...(service ? { environmentUrl: service.url } : {}),
          ...(process.env.GITHUB_API_URL ? { apiUrl: process.env.GITHUB_API_URL } : {}),
        })
        core.info(`recorded GitHub deployment ${id} (${inputs.github.environment})`)
      } catch (error) {
        warning(`could not record the GitHub deployment: ${(error as Error).message}`)
      }
    }
  }

  if (r.status !== 'deployed') {
    const rollback = r.rollback ? ` ${r.rollback.message}.` : ''
    throw new DeploymentFailedError(
      `${inputs.release} revision ${r.revision} failed: ${r.failures.join('; ')}.${rollback} See the job summary for pod states, events and logs.`,
    )
  }
  core.info(`${inputs.release} revision ${r.revision} deployed`)
}

export const run = (): Promise<void> =>
  runAction(main, { userErrors: [DeploymentFailedError, HelmError, KubeConfigurationError] })
