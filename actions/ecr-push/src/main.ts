import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as core from '@actions/core'
import { group, maskSecret, run as runAction, setOutputs, writeSummary } from '@mlops/kit'
import { createEcrClient, ImageInputError, RegistryError } from '@mlops/oci'
import { dockerRunner } from './docker-build.js'
import { getInputs } from './inputs.js'
import { publish, ScanGateError, type PublishDeps } from './publish.js'
import { renderPushSummary } from './render-summary.js'

/** dist/index.js sits in actions/ecr-push/dist, three levels below the repository that holds serve/Dockerfile. */
function actionRoot(): string {
  return resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..')
}

function defaultDeps(): PublishDeps {
  return {
    ecr: () => createEcrClient(process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION),
    docker: dockerRunner(),
    mask: maskSecret,
    log: (line) => core.info(line),
    actionRoot: actionRoot(),
    tempDir: process.env.RUNNER_TEMP ?? tmpdir(),
  }
}

export async function main(deps: Partial<PublishDeps> = {}): Promise<void> {
  // Masked first: credentials from configure-aws-credentials may otherwise show up in an SDK error.
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const value = process.env[name]
    if (value) maskSecret(value)
  }
  const inputs = getInputs()
  const all = { ...defaultDeps(), ...deps }
  const result = await group(`Publishing ${inputs.modelName} image`, () => publish(inputs, all))
  setOutputs({
    image: result.image,
    digest: result.digest,
    tags: result.tags.join(','),
    registry: result.registry ?? '',
  })
  await writeSummary(renderPushSummary(result))
  core.info(`Image ${result.image}`)
  if (result.gate && !result.gate.passed) {
    throw new ScanGateError(`Image ${result.image} failed the vulnerability gate: ${result.gate.reason}`)
  }
}

export async function run(): Promise<void> {
  await runAction(() => main(), { userErrors: [RegistryError, ImageInputError, ScanGateError] })
}
