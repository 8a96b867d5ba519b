import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { UsageError } from './input-env.js'
import { parsePipelineFile, substituteOutputs } from './pipeline-file.js'
import { renderPipelineTable, runPipeline, writePipelineReport } from './pipeline.js'

const actionsDir = resolve(import.meta.dirname, '../../../actions')
let workspace: string
beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'mlops-pipeline-'))
  const rows = Array.from({ length: 300 }, (_, i) => `${i},${(i * 7) % 100},${(i * 7) % 100 > 50 ? 1 : 0}`)
  await writeFile(join(workspace, 'data.csv'), ['id,x,y', ...rows].join('\n') + '\n')
})
afterAll(() => rm(workspace, { recursive: true, force: true }))

describe('pipeline files', () => {
  test('stages in order, ids defaulting to the action, inputs as strings', () => {
    const pipeline = parsePipelineFile(
      'name: demo\nstages:\n  - uses: data-qa\n    with: { dataset: a.csv, annotations: false }\n  - id: t\n    uses: train\n',
      'p.yml',
    )
    expect(pipeline.name).toBe('demo')
    expect(pipeline.stages).toEqual([
      {
        id: 'data-qa',
        action: 'data-qa',
        name: 'data-qa',
        with: { dataset: 'a.csv', annotations: 'false' },
        line: 3,
      },
      { id: 't', action: 'train', name: 'train', with: {}, line: 5 },
    ])
  })

  test.each([
    ['stages: {}\n', 'p.yml:1: stages: must be a list'],
    ['stages:\n  - uses: a\n  - uses: a\n', "p.yml:3: two stages have the id 'a'"],
    ['stages:\n  - uses: a\n    needs: b\n', "p.yml:2: unknown key 'needs' in a stage"],
    ['stages:\n  - with: {}\n', 'p.yml:2: a stage needs uses: <action>'],
  ])('%j is refused at its line', (text, message) => {
    expect(() => parsePipelineFile(text, 'p.yml')).toThrow(message)
  })

  test('output references resolve, and a wrong one names what exists', () => {
    const outputs = new Map([['train', { bundle: '/m', metrics: '/m/metrics.json' }]])
    expect(substituteOutputs('${{ steps.train.outputs.bundle }}/x', outputs, 'p.yml:4')).toBe('/m/x')
    expect(() => substituteOutputs('${{ steps.train.outputs.model }}', outputs, 'p.yml:4')).toThrow(
      "p.yml:4: steps.train has no output 'model' (it set: bundle, metrics)",
    )
    expect(() => substituteOutputs('${{ steps.gate.outputs.verdict }}', outputs, 'p.yml:4')).toThrow(
      'p.yml:4: steps.gate has not run before this stage',
    )
  })
})

describe('runPipeline', () => {
  test('runs the stages through their dist, passing outputs along; the report links the files', async () => {
    const pipeline = parsePipelineFile(
      [
        'name: tiny',
        'stages:',
        '  - uses: data-qa',
        '    with: { dataset: data.csv, report-dir: qa }',
        '  - uses: train',
        '    with: { dataset: data.csv, target: y, exclude-columns: id, output-dir: model }',
        '  - uses: mlflow-register',
        "    with: { bundle: '${{ steps.train.outputs.bundle }}', model-name: tiny }",
      ].join('\n'),
      'tiny.yml',
    )
    const lines: string[] = []
    const results = await runPipeline({ pipeline, actionsDir, workspace, write: (l) => lines.push(l) })
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['data-qa', 'passed'],
      ['train', 'passed'],
      ['mlflow-register', 'passed'],
    ])
    expect(results[2]!.key).toBe('models:/tiny/1 (models:/tiny@challenger)')
    expect(lines.filter((l) => l.endsWith(': running'))).toHaveLength(3)
    expect(renderPipelineTable(results).split('\n')[0]).toMatch(/^stage\s+status\s+seconds\s+result$/)
    const html = await readFile(
      await writePipelineReport(results, { dir: join(workspace, 'report'), workspace, title: 'tiny' }),
      'utf8',
    )
    expect(html).toContain('<a href="../model/metrics.json">model/metrics.json</a>')
    expect(html).toContain('<td class="passed">passed</td>')
  })

  test('the first failure skips the later stages and gives the reason', async () => {
    const pipeline = parsePipelineFile(
      'stages:\n  - uses: train\n    with: { dataset: data.csv, target: z }\n  - uses: mlflow-register\n    with: { bundle: model, model-name: x }\n',
      'fail.yml',
    )
    const results = await runPipeline({ pipeline, actionsDir, workspace, write: () => {} })
    expect(results.map((r) => r.status)).toEqual(['failed', 'skipped'])
    expect(results[0]!.key).toContain("target column 'z' is not in the data")
  })

  test('an input the action does not have fails before anything runs', async () => {
    const pipeline = parsePipelineFile(
      'stages:\n  - uses: train\n    with: { datset: data.csv }\n',
      'typo.yml',
    )
    const failure = runPipeline({ pipeline, actionsDir, workspace, write: () => {} })
    await expect(failure).rejects.toThrow(UsageError)
    await expect(failure).rejects.toThrow(
      /^typo\.yml:2: train has no input 'datset' \(did you mean 'dataset'\?\); it takes .*\bdataset, target\b/,
    )
  })
})
