// Cross-checks what workflows pass against what the called things accept. actionlint knows GitHub's syntax but
// not our actions' inputs, so a renamed input would only fail at run time on a user's runner; this catches it
// here: `with:` keys against action.yml inputs and reusable workflows' `workflow_call` inputs, required inputs
// present, secrets declared, and every `steps.<id>.outputs.<name>` / `jobs.<id>.outputs.<name>` one that exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

/** `./actions/train` or `OWNER/mlops-actions/actions/train@v1` -> `train`. */
export function stageOf(uses) {
  const m = /^(?:\.\/|[\w.-]+\/mlops-actions\/)actions\/([\w-]+)(?:@[\w./-]+)?$/.exec(uses ?? '')
  return m ? m[1] : undefined
}

/** `./.github/workflows/x.yml` or `OWNER/mlops-actions/.github/workflows/x.yml@v1` -> `x.yml`. */
export function reusableOf(uses) {
  const m = /^(?:\.\/|[\w.-]+\/mlops-actions\/)\.github\/workflows\/([\w.-]+\.ya?ml)(?:@[\w./-]+)?$/.exec(
    uses ?? '',
  )
  return m ? m[1] : undefined
}

const entries = (o) => Object.entries(o ?? {})
const required = (spec) => spec?.required === true && spec?.default === undefined

export function loadActions(root) {
  const actions = new Map()
  for (const name of readdirSync(join(root, 'actions'))) {
    const file = join(root, 'actions', name, 'action.yml')
    if (!existsSync(file)) continue
    const doc = parse(readFileSync(file, 'utf8')) ?? {}
    actions.set(name, { inputs: doc.inputs ?? {}, outputs: doc.outputs ?? {} })
  }
  return actions
}

export function loadReusableWorkflows(root) {
  const dir = join(root, '.github/workflows')
  const workflows = new Map()
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!/\.ya?ml$/.test(name)) continue
    const doc = parse(readFileSync(join(dir, name), 'utf8')) ?? {}
    const call = doc.on?.workflow_call
    if (call === undefined) continue
    workflows.set(name, {
      inputs: call?.inputs ?? {},
      secrets: call?.secrets ?? {},
      outputs: call?.outputs ?? {},
    })
  }
  return workflows
}

/** Every `${{ ... }}` reference of the form `<kind>.<id>.outputs.<name>` in any string under `value`. */
function outputRefs(value, kind) {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '')
  return [...text.matchAll(new RegExp(`\\b${kind}\\.([\\w-]+)\\.outputs\\.([\\w-]+)`, 'g'))].map((m) => ({
    id: m[1],
    name: m[2],
  }))
}

function checkWith(where, given, accepted, label) {
  const problems = []
  for (const key of Object.keys(given ?? {}))
    if (!(key in accepted)) problems.push(`${where}: ${label} has no input '${key}'`)
  for (const [key, spec] of entries(accepted))
    if (required(spec) && !(key in (given ?? {})))
      problems.push(`${where}: required input '${key}' of ${label} not given`)
  return problems
}

/** Problems in one parsed workflow, each naming the file, job and step. */
export function workflowViolations(file, doc, actions, reusable) {
  const problems = []
  const jobs = doc?.jobs ?? {}
  for (const [jobId, job] of entries(jobs)) {
    const stepAction = new Map()
    for (const [index, step] of (job.steps ?? []).entries()) {
      const where = `${file}: jobs.${jobId}.steps[${step.id ?? step.name ?? index}]`
      const stage = stageOf(step.uses)
      if (
        step.uses &&
        stage === undefined &&
        /\bactions\//.test(step.uses) &&
        /mlops-actions|^\.\//.test(step.uses)
      )
        problems.push(`${where}: '${step.uses}' is not a stage of this repository`)
      if (stage === undefined) continue
      const action = actions.get(stage)
      if (!action) {
        problems.push(`${where}: uses actions/${stage}, which does not exist`)
        continue
      }
      problems.push(...checkWith(where, step.with, action.inputs, `actions/${stage}`))
      if (step.id) stepAction.set(step.id, stage)
    }
    for (const ref of outputRefs({ steps: job.steps, outputs: job.outputs }, 'steps')) {
      const stage = stepAction.get(ref.id)
      if (stage && !(ref.name in actions.get(stage).outputs))
        problems.push(
          `${file}: jobs.${jobId}: steps.${ref.id}.outputs.${ref.name} — actions/${stage} has no such output`,
        )
    }
    for (const ref of outputRefs(
      { steps: job.steps, with: job.with, if: job.if, outputs: job.outputs },
      'needs',
    )) {
      const needed = jobs[ref.id]
      const needs = [job.needs ?? []].flat()
      if (!needed || !needs.includes(ref.id))
        problems.push(`${file}: jobs.${jobId} reads needs.${ref.id} without needing it`)
      else if (
        !(ref.name in (needed.outputs ?? {})) &&
        !reusableOutputs(needed, reusable)?.includes(ref.name)
      )
        problems.push(
          `${file}: jobs.${jobId}: needs.${ref.id}.outputs.${ref.name} is not an output of that job`,
        )
    }
    const called = reusableOf(job.uses)
    if (
      job.uses &&
      called === undefined &&
      /\.github\/workflows\//.test(job.uses) &&
      /mlops-actions|^\.\//.test(job.uses)
    )
      problems.push(`${file}: jobs.${jobId}: '${job.uses}' is not a workflow of this repository`)
    if (called !== undefined) {
      const workflow = reusable.get(called)
      if (!workflow) {
        problems.push(
          `${file}: jobs.${jobId} calls .github/workflows/${called}, which is not a reusable workflow here`,
        )
        continue
      }
      problems.push(...checkWith(`${file}: jobs.${jobId}`, job.with, workflow.inputs, called))
      if (job.secrets !== 'inherit') {
        for (const key of Object.keys(job.secrets ?? {}))
          if (!(key in workflow.secrets))
            problems.push(`${file}: jobs.${jobId}: ${called} declares no secret '${key}'`)
        for (const [key, spec] of entries(workflow.secrets))
          if (spec?.required === true && !(key in (job.secrets ?? {})))
            problems.push(`${file}: jobs.${jobId}: required secret '${key}' of ${called} not passed`)
      }
    }
  }
  for (const [name, spec] of entries(doc?.on?.workflow_call?.outputs)) {
    for (const ref of outputRefs(spec?.value, 'jobs')) {
      if (!(ref.id in jobs) || !(ref.name in (jobs[ref.id].outputs ?? {})))
        problems.push(`${file}: output '${name}' reads jobs.${ref.id}.outputs.${ref.name}, which no job sets`)
    }
  }
  return problems
}

function reusableOutputs(job, reusable) {
  const called = reusableOf(job.uses)
  return called ? Object.keys(reusable.get(called)?.outputs ?? {}) : undefined
}

/** Every workflow and starter template of the repository, checked. */
export function repositoryViolations(root) {
  const actions = loadActions(root)
  const reusable = loadReusableWorkflows(root)
  const problems = []
  for (const dir of ['.github/workflows', 'workflows-templates']) {
    const abs = join(root, dir)
    for (const name of existsSync(abs) ? readdirSync(abs) : []) {
      if (!/\.ya?ml$/.test(name)) continue
      const doc = parse(readFileSync(join(abs, name), 'utf8'))
      problems.push(...workflowViolations(`${dir}/${name}`, doc, actions, reusable))
    }
  }
  return problems
}
