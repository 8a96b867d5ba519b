import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as core from '@actions/core'
import { group, maskSecret, run as runAction, setOutputs, writeSummary } from '@mlops/kit'
import {
  createHelmRunner,
  HelmError,
  KubeConfigurationError,
  kubeconfigSecrets,
  portForwardService,
  withKubeconfig,
  type HelmCommandOptions,
  type HelmRunner,
} from '@mlops/kube'
import { GoldenFileError, payloadFromBundle, readGoldenFile, type GoldenCase } from './golden.js'
import { getInputs, type Inputs } from './inputs.js'
import { renderSmokeSummary, type RollbackOutcome } from './render-summary.js'
import { runSmokeTest, type SmokeReport } from './smoke.js'

/** The deployed service failed its checks: the job fails, but this is not a bug in the action. */
export class SmokeTestFailedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SmokeTestFailedError'
  }
}

export interface Dependencies {
  createHelmRunner: (o: HelmCommandOptions) => Promise<HelmRunner>
}

async function goldenCases(inputs: Inputs): Promise<GoldenCase[]> {
  if (inputs.goldenFile) return readGoldenFile(inputs.goldenFile)
  if (inputs.payload !== undefined) return [{ name: 'payload input', input: inputs.payload, tolerance: 0 }]
  if (inputs.bundle) return [await payloadFromBundle(inputs.bundle)]
  return []
}

/** Rolls back to the revision deployed before the current one (what `helm rollback RELEASE` does). */
async function rollBack(
  inputs: Inputs,
  deps: Dependencies,
  helmOptions: HelmCommandOptions,
): Promise<RollbackOutcome> {
  const { release, helm: binary } = inputs.rollback!
  try {
    const helm = await deps.createHelmRunner({ ...helmOptions, binary })
    const history = await helm.history(release, inputs.namespace)
    const current = [...history].reverse().find((r) => r.status === 'deployed')
    const previous =
      current &&
      [...history].reverse().find((r) => r.revision < current.revision && r.status === 'superseded')
    if (!current || !previous) {
      return {
        release,
        ok: false,
        message: `no earlier revision of ${release} to roll back to (history: ${history.map((r) => `${r.revision} ${r.status}`).join(', ') || 'empty'})`,
      }
    }
    await helm.rollback({
      release,
      namespace: inputs.namespace,
      revision: previous.revision,
      wait: true,
      timeoutSeconds: 300,
    })
    return {
      release,
      ok: true,
      message: `rolled ${release} back from revision ${current.revision} to ${previous.revision}`,
    }
  } catch (error) {
    return { release, ok: false, message: `rollback of ${release} failed: ${(error as Error).message}` }
  }
}

export async function main(deps: Dependencies = { createHelmRunner }): Promise<void> {
  const inputs = getInputs()
  const golden = await goldenCases(inputs)
  if (golden.length === 0)
    core.warning('no golden-file, payload or bundle: predictions and latency are not checked')

  const smoke = (baseUrl: string): Promise<SmokeReport> =>
    group(`Smoke-testing ${baseUrl}`, async () => {
      const report = await runSmokeTest({
        baseUrl,
        readyTimeoutMs: inputs.readyTimeoutMs,
        requestTimeoutMs: inputs.requestTimeoutMs,
        ...(inputs.expectedVersion !== undefined ? { expectedVersion: inputs.expectedVersion } : {}),
        ...(inputs.modelName !== undefined ? { expectedModel: inputs.modelName } : {}),
        golden,
        predictPath: inputs.predictPath,
        invalidPayload: inputs.invalidPayload,
        latency: { requests: inputs.latencyRequests, p95BudgetMs: inputs.latencyP95Ms },
        metricsSeries: inputs.metricsSeries,
      })
      for (const c of report.checks) core.info(`${c.ok ? 'pass' : 'FAIL'} ${c.name}: ${c.detail}`)
      return report
    })

  let report: SmokeReport
  let rollback: RollbackOutcome | undefined
  let target: string
  const t = inputs.target
  if (t.kind === 'url') {
    target = t.url
    report = await smoke(t.url)
    // The cluster is only needed for the rollback: a URL-only run never depends on a kubeconfig.
    if (!report.passed && inputs.rollback) {
      rollback = await withKubeconfig(inputs.kubeconfig, async ({ path, kubeConfig }) => {
        const secrets = kubeconfigSecrets(kubeConfig)
        for (const s of secrets) maskSecret(s)
        return rollBack(inputs, deps, { kubeconfigPath: path, secrets })
      }).catch((error: unknown) => ({
        release: inputs.rollback!.release,
        ok: false,
        message: `rollback of ${inputs.rollback!.release} failed: ${(error as Error).message}`,
      }))
    }
  } else {
    target = `service ${t.service} (namespace ${inputs.namespace}, port-forward)`
    ;({ report, rollback } = await withKubeconfig(inputs.kubeconfig, async ({ path, kubeConfig }) => {
      const secrets = kubeconfigSecrets(kubeConfig)
      for (const s of secrets) maskSecret(s)
      const forward = await portForwardService({
        kubeConfig,
        namespace: inputs.namespace,
        service: t.service,
        ...(t.port !== undefined ? { port: t.port } : {}),
      })
      core.info(`port-forward ${forward.url} -> pod ${forward.pod}:${forward.targetPort}`)
      let result: SmokeReport
      try {
        result = await smoke(forward.url)
      } finally {
        await forward.close()
      }
      const rb =
        !result.passed && inputs.rollback
          ? await rollBack(inputs, deps, { kubeconfigPath: path, secrets })
          : undefined
      return { report: result, rollback: rb }
    }))
  }

  const dir = join(process.env.RUNNER_TEMP ?? process.env.GITHUB_WORKSPACE ?? process.cwd(), 'smoke-test')
  await mkdir(dir, { recursive: true })
  const reportPath = join(dir, 'smoke-report.json')
  await writeFile(reportPath, JSON.stringify({ target, ...report, rollback }, null, 2) + '\n')
  setOutputs({
    passed: report.passed,
    'served-version': report.servedVersion ?? '',
    'p95-ms': report.latency ? Number(report.latency.p95Ms.toFixed(2)) : '',
    'rolled-back': rollback?.ok ?? false,
    report: reportPath,
  })
  await writeSummary(renderSmokeSummary(target, report, rollback))
  if (!report.passed) {
    const rb = rollback ? ` ${rollback.ok ? 'Rolled back' : 'Rollback failed'}: ${rollback.message}.` : ''
    throw new SmokeTestFailedError(`smoke-test failed: ${report.failures.join(' | ')}.${rb}`)
  }
  core.info(`all ${report.checks.length} checks passed`)
}

export const run = (): Promise<void> =>
  runAction(main, { userErrors: [SmokeTestFailedError, GoldenFileError, HelmError, KubeConfigurationError] })
