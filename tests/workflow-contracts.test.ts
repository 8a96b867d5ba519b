import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
// @ts-expect-error -- plain ESM script shared with scripts/validate-workflows.mjs, no types
import * as contracts from '../scripts/lib/workflow-contracts.mjs'

const root = resolve(import.meta.dirname, '..')
type Doc = Record<string, unknown>
const { repositoryViolations, workflowViolations, loadActions, loadReusableWorkflows, stageOf, reusableOf } =
  contracts as {
    repositoryViolations(root: string): string[]
    workflowViolations(file: string, doc: Doc, actions: unknown, reusable: unknown): string[]
    loadActions(
      root: string,
    ): Map<string, { inputs: Record<string, unknown>; outputs: Record<string, unknown> }>
    loadReusableWorkflows(root: string): Map<string, { inputs: Record<string, unknown> }>
    stageOf(uses: string): string | undefined
    reusableOf(uses: string): string | undefined
  }
const actions = loadActions(root)
const reusable = loadReusableWorkflows(root)
const load = (path: string): Doc => parse(readFileSync(join(root, path), 'utf8')) as Doc

describe('workflows pass what the called actions and workflows accept', () => {
  it('holds for every workflow and starter template in the repository', () => {
    expect(repositoryViolations(root)).toEqual([])
  })

  it('recognises the stages and reusable workflows however they are referenced', () => {
    expect(stageOf('./actions/train')).toBe('train')
    expect(stageOf('mlops-actions/mlops-actions/actions/quality-gate@v1')).toBe('quality-gate')
    expect(stageOf('actions/checkout@v4')).toBeUndefined()
    expect(reusableOf('mlops-actions/mlops-actions/.github/workflows/ml-release.yml@v1')).toBe(
      'ml-release.yml',
    )
  })

  it.each(['ml-pr-check.yml', 'ml-release.yml', 'ml-drift-retrain.yml'])(
    'finds a misspelled input, a missing required input and an unknown output in %s',
    (name) => {
      const doc = load(`.github/workflows/${name}`) as { jobs: Record<string, { steps?: Doc[] }> }
      const steps = Object.values(doc.jobs).flatMap((job) => job.steps ?? [])
      const step = steps.find((s) => stageOf(String(s.uses ?? '')) !== undefined) as {
        id?: string
        with: Record<string, unknown>
        uses: string
      }
      const stage = stageOf(step.uses)!
      const [firstKey] = Object.keys(step.with)
      step.with[`${firstKey}-typo`] = step.with[firstKey!]
      const requiredKey = Object.entries(actions.get(stage)!.inputs).find(
        ([, spec]) => (spec as Doc).required === true && (spec as Doc).default === undefined,
      )?.[0]
      if (requiredKey) delete step.with[requiredKey]
      step.id ??= 'probe'
      ;(step as Doc).env = { PROBE: `\${{ steps.${step.id}.outputs.no-such-output }}` }
      const problems = workflowViolations(name, doc, actions, reusable)
      expect(problems.join('\n')).toContain(`has no input '${firstKey}-typo'`)
      if (requiredKey) expect(problems.join('\n')).toContain(`required input '${requiredKey}'`)
      expect(problems.join('\n')).toContain('no-such-output')
    },
  )

  it('finds a template that calls a workflow with an input it does not declare', () => {
    const doc = load('workflows-templates/ml-release.yml') as { jobs: { release: { with: Doc } } }
    doc.jobs.release.with['kubeconfig'] = 'x'
    delete doc.jobs.release.with['model-name']
    const problems = workflowViolations('ml-release.yml', doc, actions, reusable).join('\n')
    expect(problems).toContain("ml-release.yml has no input 'kubeconfig'")
    expect(problems).toContain("required input 'model-name'")
  })

  it('every starter template has properties naming it, and calls only reusable workflows of this repository', () => {
    for (const name of ['ml-pr-check', 'ml-release', 'ml-drift-retrain']) {
      const props = JSON.parse(
        readFileSync(join(root, 'workflows-templates', `${name}.properties.json`), 'utf8'),
      )
      expect(props).toEqual(
        expect.objectContaining({ name: expect.any(String), description: expect.any(String) }),
      )
      expect(props.categories.length).toBeGreaterThan(0)
      const jobs = Object.values(
        (load(`workflows-templates/${name}.yml`) as { jobs: Record<string, Doc> }).jobs,
      )
      for (const job of jobs) expect(reusable.has(reusableOf(String(job.uses)) ?? '')).toBe(true)
    }
  })
})

describe('terraform/envs/dev outputs feed the release workflow', () => {
  const outputs = [
    ...readFileSync(join(root, 'terraform/envs/dev/outputs.tf'), 'utf8').matchAll(/^output "(\w+)"/gm),
  ].map((m) => m[1]!)
  const template = load('workflows-templates/ml-release.yml') as {
    jobs: { release: { with: Record<string, string> } }
  }
  const passed = template.jobs.release.with

  it.each(outputs)('output %s is a repository variable the release template passes on', (output) => {
    const variable = output.toUpperCase()
    const input = Object.entries(passed).find(([, value]) => value === `\${{ vars.${variable} }}`)?.[0]
    expect(input).toBeDefined()
    expect(reusable.get('ml-release.yml')!.inputs).toHaveProperty(input!)
  })

  it('every infrastructure input of ml-release.yml comes from a terraform output', () => {
    const fromVars = Object.entries(passed).filter(([, value]) => /vars\./.test(value))
    expect(fromVars.length).toBe(outputs.length)
  })
})
