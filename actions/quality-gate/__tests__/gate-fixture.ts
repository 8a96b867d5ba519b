import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'
import { readColumns } from '@mlops/data'
import { tabularTrainer, trainTabular, writeModelBundle } from '@mlops/ml'

/** The action as users get it (action.yml + committed dist/, no node_modules) and a workspace with real models. */
export interface GateFixture {
  root: string
  workspace: string
  run(
    inputs: Record<string, string>,
    env?: Record<string, string | undefined>,
  ): Promise<ActionRun & { log: string }>
  cleanup(): Promise<void>
}

const source = resolve(import.meta.dirname, '..')
const examples = resolve(source, '../../examples/readmission/data')

async function firstLines(file: string, count: number, dropColumn?: string): Promise<string> {
  let lines = (await readFile(file, 'utf8')).split('\n').slice(0, count + 1)
  if (dropColumn !== undefined) {
    const index = lines[0]!.split(',').indexOf(dropColumn)
    lines = lines.map((line) =>
      line
        .split(',')
        .filter((_, i) => i !== index)
        .join(','),
    )
  }
  return lines.join('\n') + '\n'
}

/**
 * Trains on the first 6,000 rows of the embedded example with packages/ml (the train action's code) and writes
 * bundles: `weak` (1 L-BFGS iteration), `strong` (1000), `narrow` (strong without the bmi column). The holdout is
 * 3,000 rows of the example's later `current.csv`, a dataset neither model saw.
 */
export async function createGateFixture(prefix: string): Promise<GateFixture> {
  const root = await mkdtemp(join(tmpdir(), prefix))
  const actionDir = join(root, 'action')
  const workspace = join(root, 'workspace')
  await mkdir(actionDir)
  await mkdir(join(workspace, 'models'), { recursive: true })
  await cp(join(source, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(source, 'dist'), join(actionDir, 'dist'), { recursive: true })
  await writeFile(join(workspace, 'train.csv'), await firstLines(join(examples, 'reference.csv'), 6000))
  await writeFile(join(workspace, 'holdout.csv'), await firstLines(join(examples, 'current.csv'), 3000))
  await writeFile(
    join(workspace, 'holdout-no-bmi.csv'),
    await firstLines(join(examples, 'current.csv'), 3000, 'bmi'),
  )
  const table = await readColumns([join(workspace, 'train.csv')])
  const models: Array<[string, number, string[]]> = [
    ['weak', 1, ['patient_id']],
    ['strong', 1000, ['patient_id']],
    ['narrow', 1000, ['patient_id', 'bmi']],
  ]
  for (const [name, iterations, exclude] of models) {
    const trained = await trainTabular({
      columns: table.columns,
      target: 'readmitted_30d',
      trainer: tabularTrainer('logistic-regression'),
      params: { max_iter: iterations },
      exclude,
    })
    await writeModelBundle(join(workspace, 'models', name), {
      onnx: trained.onnx,
      info: {
        task: trained.task,
        target: 'readmitted_30d',
        labels: trained.classes,
        features: trained.specs,
        modelType: 'logistic-regression',
        params: trained.params,
        metrics: Object.fromEntries(
          Object.entries(trained.score.metrics).filter((e): e is [string, number] => e[1] !== undefined),
        ),
        dataHash: 'sha256:test',
        gitSha: null,
      },
    })
  }
  return {
    root,
    workspace,
    async run(inputs, env = {}) {
      const lines: string[] = []
      const result = await runAction({
        actionDir,
        inputs: { holdout: 'holdout.csv', ...inputs },
        workspace,
        write: (line) => lines.push(line),
        env: {
          MLFLOW_TRACKING_URI: undefined,
          GITHUB_EVENT_PATH: undefined,
          GITHUB_REPOSITORY: undefined,
          GITHUB_API_URL: undefined,
          ...env,
        },
      })
      return { ...result, log: lines.join('\n') }
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  }
}
