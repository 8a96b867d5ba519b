import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, isAbsolute, join, relative, resolve } from 'node:path'
import * as core from '@actions/core'
import { DataError, expandDatasetPaths, readColumns } from '@mlops/data'
import { ConfigurationError, group, maskSecret, run as runAction, setOutputs, writeSummary } from '@mlops/kit'
import {
  BundleFormatError,
  checkSameSignature,
  decideGate,
  evaluateModels,
  EvaluationInputError,
  holdoutColumnsFor,
  prepareHoldout,
  ThresholdsError,
  type GateBaseline,
  type GateDecision,
} from '@mlops/ml'
import {
  fromEnvironment,
  MlflowError,
  openTrackingStore,
  parseModelUri,
  type TrackingStore,
} from '@mlops/mlflow'
import { getInputs, type Inputs } from './inputs.js'
import {
  isMissingAlias,
  isRegistryUri,
  loadFromRegistry,
  loadLocal,
  registeredName,
  type LoadedModel,
} from './load-model.js'
import { commentOnPullRequest } from './pr-comment.js'
import { metricHistory, PREVIOUS_CHAMPION_TAG, promoteToChampion } from './registry.js'
import { renderGateReport, type GateReport } from './render-report.js'

export const GATE_SCHEMA = 'mlops-actions/quality-gate@1'

/** The candidate did not pass: the step fails with the rules that failed, after the report is out. */
export class GateFailedError extends Error {}

const SECRET_VARIABLES = [
  'MLFLOW_TRACKING_TOKEN',
  'MLFLOW_TRACKING_PASSWORD',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
]

interface Context {
  inputs: Inputs
  root: string
  temp: string
  store: () => Promise<TrackingStore>
  /** A path as shown in the report: relative to the workspace, never the runner's absolute path. */
  shown: (path: string) => string
}

async function loadCandidate(ctx: Context): Promise<LoadedModel & { kind: 'bundle' }> {
  const { candidate } = ctx.inputs
  if (isRegistryUri(candidate)) {
    const { bundle, version } = await loadFromRegistry(
      candidate,
      await ctx.store(),
      join(ctx.temp, 'candidate'),
    )
    const registry = version ? { name: version.name, version: version.version } : undefined
    const label =
      registry && !candidate.endsWith(`/${registry.version}`)
        ? `${candidate} (version ${registry.version})`
        : candidate
    return { kind: 'bundle', bundle, label, registry }
  }
  const loaded = await loadLocal(
    resolve(ctx.root, candidate),
    'candidate',
    ctx.shown(resolve(ctx.root, candidate)),
    false,
  )
  return loaded as LoadedModel & { kind: 'bundle' }
}

interface BaselineChoice {
  model: LoadedModel | undefined
  note: string | undefined
}

async function loadBaseline(
  ctx: Context,
  candidate: LoadedModel & { kind: 'bundle' },
): Promise<BaselineChoice> {
  const { inputs } = ctx
  const name = registeredName(inputs.candidate) ?? candidate.registry?.name
  const uri = inputs.baseline ?? (name === undefined ? undefined : `models:/${name}@${inputs.championAlias}`)
  if (uri === undefined) {
    return {
      model: undefined,
      note: "No baseline: the candidate is not a registered model and 'baseline' is not set, so only absolute thresholds apply.",
    }
  }
  if (uri.toLowerCase() === 'none')
    return { model: undefined, note: 'baseline: none — only absolute thresholds apply.' }
  if (!isRegistryUri(uri))
    return {
      model: await loadLocal(resolve(ctx.root, uri), 'baseline', ctx.shown(resolve(ctx.root, uri)), true),
      note: undefined,
    }

  const store = await ctx.store()
  let loaded: Awaited<ReturnType<typeof loadFromRegistry>>
  try {
    loaded = await loadFromRegistry(uri, store, join(ctx.temp, 'baseline'))
  } catch (error) {
    if (parseModelUri(uri).kind === 'alias' && isMissingAlias(error)) {
      return {
        model: undefined,
        note: `${uri} does not exist yet: this is the first model, judged on absolute thresholds alone.`,
      }
    }
    throw error
  }
  const version = loaded.version
  const same =
    version &&
    candidate.registry &&
    version.name === candidate.registry.name &&
    version.version === candidate.registry.version
  if (same) {
    // A rerun after this gate promoted the candidate: judge it against the champion it replaced, as the first run did.
    const candidateVersion = await store.getModelVersion(version.name, version.version)
    const previous = candidateVersion.tags[PREVIOUS_CHAMPION_TAG]
    if (previous !== undefined) {
      const prior = await loadFromRegistry(
        `models:/${version.name}/${previous}`,
        store,
        join(ctx.temp, 'previous'),
      )
      return {
        model: {
          kind: 'bundle',
          bundle: prior.bundle,
          label: `models:/${version.name}/${previous}`,
          registry: { name: version.name, version: previous },
        },
        note: `${uri} already points at the candidate (version ${version.version}, promoted by an earlier run); compared with the champion it replaced, version ${previous}.`,
      }
    }
  }
  const label = version && !uri.endsWith(`/${version.version}`) ? `${uri} (version ${version.version})` : uri
  return {
    model: {
      kind: 'bundle',
      bundle: loaded.bundle,
      label,
      registry: version ? { name: version.name, version: version.version } : undefined,
    },
    note: same ? 'The baseline is the candidate itself (same registered version).' : undefined,
  }
}

async function readHoldout(ctx: Context, candidate: LoadedModel & { kind: 'bundle' }) {
  const files = await expandDatasetPaths(ctx.inputs.datasets, ctx.root)
  const label = files.length === 1 ? ctx.shown(files[0]!) : `${files.length} files`
  // The holdout may name the label column differently from the training data.
  const info = { ...candidate.bundle.info, target: ctx.inputs.target ?? candidate.bundle.info.target }
  try {
    const table = await readColumns(files, { format: ctx.inputs.format, ...holdoutColumnsFor(info) })
    return { label, holdout: prepareHoldout(info, table.columns, label) }
  } catch (error) {
    // readColumns names the column but not why it was wanted, and shows the absolute path.
    if (
      error instanceof DataError &&
      error.column !== undefined &&
      error.line === undefined &&
      /is not in/.test(error.message)
    ) {
      const why =
        error.column === info.target
          ? `the target '${info.target}' the models predict`
          : 'an input of the models'
      throw new EvaluationInputError(
        `the holdout ${label} has no column '${error.column}', ${why}`,
        error.column,
      )
    }
    throw error
  }
}

function baselineName(inputs: Inputs): string | undefined {
  try {
    return inputs.baseline === undefined ? undefined : registeredName(inputs.baseline)
  } catch {
    return undefined
  }
}

function deltasOf(decision: GateDecision): Record<string, unknown> {
  return Object.fromEntries(
    decision.comparisons.map((c) => [
      c.measure,
      {
        candidate: c.candidate ?? null,
        baseline: c.baseline ?? null,
        delta: c.delta ?? null,
        change: c.change ?? null,
        relative_change: c.relativeChange ?? null,
      },
    ]),
  )
}

export async function main(): Promise<void> {
  for (const name of SECRET_VARIABLES) {
    const value = process.env[name]
    if (value) maskSecret(value)
  }
  const inputs = getInputs()
  if (inputs.token) maskSecret(inputs.token)
  if (inputs.promote && !/^models:\//i.test(inputs.candidate)) {
    throw new ConfigurationError(
      "Input 'promote' moves a registry alias, so 'candidate' must be a registered version (models:/<name>/<version> or models:/<name>@challenger)",
    )
  }
  const root = process.env.GITHUB_WORKSPACE ?? process.cwd()
  const shown = (path: string) => {
    const inside = relative(root, path)
    return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : basename(path)
  }
  let opened: TrackingStore | undefined
  const config = fromEnvironment({
    ...process.env,
    ...(inputs.trackingUri ? { MLFLOW_TRACKING_URI: inputs.trackingUri } : {}),
  })
  const temp = await mkdtemp(join(process.env.RUNNER_TEMP ?? tmpdir(), 'quality-gate-'))
  const ctx: Context = {
    inputs,
    root,
    temp,
    shown,
    store: async () => (opened ??= await openTrackingStore(config, { defaultRoot: inputs.mlrunsDir })),
  }
  try {
    await gate(ctx)
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

async function gate(ctx: Context): Promise<void> {
  const { inputs } = ctx
  const candidate = await group(`Loading the candidate ${inputs.candidate}`, () => loadCandidate(ctx))
  const baseline = await group('Loading the baseline', () => loadBaseline(ctx, candidate))
  if (baseline.note) core.info(baseline.note)
  if (baseline.model?.kind === 'bundle') checkSameSignature(candidate.bundle.info, baseline.model.bundle.info)

  const { label, holdout } = await group('Reading the holdout', () => readHoldout(ctx, candidate))
  core.info(`${label}: ${holdout.rows.length} labelled rows`)
  const evaluations = await group('Evaluating with onnxruntime', async () => {
    const models = [candidate.bundle, ...(baseline.model?.kind === 'bundle' ? [baseline.model.bundle] : [])]
    const [candidateEval, baselineEval] = await evaluateModels(models, holdout)
    return { candidate: candidateEval!, baseline: baselineEval }
  })
  const gateBaseline: GateBaseline =
    evaluations.baseline !== undefined
      ? { kind: 'evaluated', evaluation: evaluations.baseline }
      : baseline.model?.kind === 'metrics'
        ? { kind: 'logged', metrics: baseline.model.metrics }
        : { kind: 'none' }
  const classes = candidate.bundle.info.labels
  const decision = decideGate({
    actual: holdout.actual,
    classCount: classes.length,
    candidate: evaluations.candidate,
    baseline: gateBaseline,
    thresholds: inputs.thresholds,
  })
  for (const rule of decision.rules) core.info(`${rule.status.padEnd(7)} ${rule.message}`)

  // The registry the gate works with: the candidate's, else the baseline's (a local candidate vs models:/x@champion).
  const name =
    candidate.registry?.name ??
    (baseline.model?.kind === 'bundle' ? baseline.model.registry?.name : undefined) ??
    baselineName(inputs)
  let promotion: string | undefined
  let promoted = false
  let championVersion = ''
  if (name !== undefined) {
    const store = await ctx.store()
    if (inputs.promote && decision.verdict === 'pass' && candidate.registry !== undefined) {
      const result = await promoteToChampion(store, name, candidate.registry.version, inputs.championAlias)
      promoted = result.promoted
      promotion = result.changed
        ? `${inputs.championAlias} moved to version ${result.championVersion}` +
          (result.previous === undefined
            ? ' (there was none before).'
            : ` from version ${result.previous}; ${PREVIOUS_CHAMPION_TAG}=${result.previous} recorded on the version and the registered model.`)
        : `${inputs.championAlias} already points at version ${result.championVersion} (promoted by an earlier run); nothing changed.`
    } else if (inputs.promote) {
      promotion = `Not promoted: the gate failed, ${inputs.championAlias} stays where it was.`
    }
    // A model not registered yet (the first PR against an empty registry) simply has no champion.
    const registered = await store.getRegisteredModel(name).catch((error: unknown) => {
      if (isMissingAlias(error)) return undefined
      throw error
    })
    championVersion = registered?.aliases[inputs.championAlias] ?? ''
    promoted ||= inputs.promote && championVersion !== '' && championVersion === candidate.registry?.version
  }
  const history =
    name === undefined
      ? undefined
      : {
          model: name,
          points: await metricHistory(await ctx.store(), name, decision.primary, inputs.history),
        }

  const report: GateReport = {
    gateName: inputs.gateName,
    decision,
    candidate: candidate.label,
    baseline: baseline.model?.label,
    baselineNote: baseline.note,
    holdout: { label, rows: holdout.rows.length, unlabelled: holdout.unlabelled },
    classes,
    confusion: { candidate: evaluations.candidate.confusion, baseline: evaluations.baseline?.confusion },
    resamples: inputs.thresholds.resamples,
    seed: inputs.thresholds.seed,
    history,
    promotion,
  }
  const markdown = renderGateReport(report)
  await mkdir(inputs.reportDir, { recursive: true })
  const reportPath = join(inputs.reportDir, 'report.md')
  await writeFile(reportPath, markdown + '\n')
  const { probabilities: _c, predicted: _p, ...candidateNumbers } = evaluations.candidate
  const baselineNumbers =
    evaluations.baseline && (({ probabilities: _b, predicted: _q, ...rest }) => rest)(evaluations.baseline)
  await writeFile(
    join(inputs.reportDir, 'gate.json'),
    JSON.stringify(
      {
        schema: GATE_SCHEMA,
        ...report,
        thresholds: inputs.thresholds,
        evaluations: { candidate: candidateNumbers, baseline: baselineNumbers ?? null },
        promoted,
        championVersion: championVersion || null,
      },
      null,
      2,
    ) + '\n',
  )
  await writeSummary(markdown)

  if (inputs.comment) {
    const outcome = await commentOnPullRequest({
      token: inputs.token,
      gateName: inputs.gateName,
      body: markdown,
    })
    if (outcome.posted) core.info(`PR comment ${outcome.action}: ${outcome.url}`)
    else if (outcome.warn) core.warning(outcome.reason)
    else core.notice(outcome.reason)
  }
  setOutputs({
    verdict: decision.verdict,
    deltas: JSON.stringify(deltasOf(decision)),
    report: reportPath,
    promoted,
    'champion-version': championVersion,
  })
  if (decision.verdict === 'fail') throw new GateFailedError(`Quality gate failed: ${decision.headline}`)
  core.info(`Quality gate passed: ${decision.headline}`)
}

/** Everything the user can fix (data, models, thresholds, registry setup) is reported without a stack. */
export const run = (): Promise<void> =>
  runAction(main, {
    userErrors: [
      GateFailedError,
      DataError,
      BundleFormatError,
      EvaluationInputError,
      ThresholdsError,
      MlflowError,
    ],
  })
