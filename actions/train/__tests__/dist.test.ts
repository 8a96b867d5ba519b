import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'
import { readModelBundle } from '@mlops/ml'
import * as ort from 'onnxruntime-node'

/** The action as users get it: action.yml and the committed dist/ in a folder with no node_modules. */
const source = resolve(import.meta.dirname, '..')
const example = resolve(source, '../../examples/readmission/data/reference.csv')
let root: string
let actionDir: string
let workspace: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'train-dist-'))
  actionDir = join(root, 'action')
  workspace = join(root, 'workspace')
  await mkdir(actionDir)
  await mkdir(workspace)
  await cp(join(source, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(source, 'dist'), join(actionDir, 'dist'), { recursive: true })
  // The first 6,000 rows of the embedded example keep each run to a few seconds.
  const lines = (await readFile(example, 'utf8')).split('\n').slice(0, 6001)
  await writeFile(join(workspace, 'readmission.csv'), lines.join('\n') + '\n')
})
afterAll(() => rm(root, { recursive: true, force: true }))

async function train(
  inputs: Record<string, string>,
  files: Record<string, string> = {},
): Promise<ActionRun & { log: string }> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(workspace, name), text)
  const lines: string[] = []
  const result = await runAction({ actionDir, inputs, workspace, write: (line) => lines.push(line) })
  return { ...result, log: lines.join('\n') }
}

const readmission = { dataset: 'readmission.csv', target: 'readmitted_30d', 'exclude-columns': 'patient_id' }

/** The bundle checked the way MLflow's Python side and the ONNX checker see it. */
function checkWithPython(bundleDir: string): string {
  return execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      `import sys, yaml, onnx
m = yaml.safe_load(open(sys.argv[1] + '/MLmodel'))
assert m['flavors']['onnx']['data'] == 'model.onnx', m
assert m['flavors']['python_function']['loader_module'] == 'mlflow.onnx', m
# Not full_check: onnx 1.12 has no type inference for ai.onnx.ml's OneHotEncoder, so strict mode stops there.
onnx.checker.check_model(onnx.load(sys.argv[1] + '/model.onnx'))
print('ok', len(yaml.safe_load(m['signature']['inputs'])))`,
      bundleDir,
    ],
    { encoding: 'utf8' },
  ).trim()
}

describe('train from its committed dist (onnxruntime-web inside the bundle)', () => {
  it('logistic regression on the example: bundle, metrics of the exported graph, summary, progress', async () => {
    const run = await train({ ...readmission, 'output-dir': 'out/lr' })
    expect(run.exitCode).toBe(0)
    const bundleDir = run.outputs.bundle!
    expect(bundleDir).toBe(join(workspace, 'out/lr'))
    expect(run.outputs['primary-metric']).toBe('roc_auc')
    const auc = Number(run.outputs['primary-value'])
    expect(auc).toBeGreaterThan(0.6)
    const metrics = JSON.parse(await readFile(run.outputs.metrics!, 'utf8'))
    expect(metrics).toMatchObject({
      schema: 'mlops-actions/train-metrics@1',
      task: 'binary',
      classes: ['0', '1'],
    })
    expect(metrics.rows).toEqual({ train: 4800, test: 1200, droppedMissingTarget: 0 })
    expect(metrics.exportError).toBeLessThan(1e-5)
    // The same numbers come out of the bundle run natively, on the same holdout the action used.
    const bundle = await readModelBundle(bundleDir)
    expect(bundle.info).toMatchObject({ modelType: 'logistic-regression', target: 'readmitted_30d' })
    expect(bundle.info.metrics.roc_auc).toBe(auc)
    expect(bundle.info.dataHash).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(checkWithPython(bundleDir)).toBe(`ok ${bundle.info.features.length}`)
    expect(run.summary).toContain('## Train: logistic-regression — roc_auc')
    expect(run.summary).toContain('### Confusion matrix')
    expect(run.summary).toContain('xychart-beta')
    expect(run.summary).toContain('### Top features')
    expect(run.log).toMatch(/logistic-regression: iteration \d+\/1000, loss 0\.\d+/)
  })

  it('grid search: every trial in the log and the summary, the best refitted', async () => {
    const run = await train(
      { ...readmission, 'search-space': 'space.yml', 'output-dir': 'out/search' },
      { 'space.yml': 'folds: 2\nparams:\n  C: [0.001, 1]\n' },
    )
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('trial 1/2: {"C":0.001,"max_iter":1000,"tol":0.000001}')
    expect(run.log).toContain('trial 2/2: {"C":1,')
    const metrics = JSON.parse(await readFile(run.outputs.metrics!, 'utf8'))
    expect(metrics.search.trials).toHaveLength(2)
    expect(metrics.params.C).toBe(metrics.search.trials[metrics.search.best].params.C)
    expect(run.summary).toContain('Search: 2 grid trials, 2-fold cross-validation')
  })

  it('bring your own command: a Python-trained ONNX model is wrapped, checked and evaluated on the holdout', async () => {
    const script = `
import csv, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from sklearn.linear_model import LogisticRegression
rows = list(csv.DictReader(open(os.environ['MLOPS_TRAIN_CSV'])))
features = os.environ['MLOPS_FEATURES'].split(',')
X = np.array([[float(r[f]) for f in features] for r in rows], dtype=np.float64)
y = np.array([r[os.environ['MLOPS_TARGET']] == 'b' for r in rows])
m = LogisticRegression().fit(X, y)
W = numpy_helper.from_array(m.coef_.T.astype(np.float32), 'W')
B = numpy_helper.from_array(m.intercept_.astype(np.float32), 'B')
one = numpy_helper.from_array(np.array([1], dtype=np.float32), 'one')
nodes = [helper.make_node('MatMul', ['float_input', 'W'], ['z0']), helper.make_node('Add', ['z0', 'B'], ['z']),
         helper.make_node('Sigmoid', ['z'], ['p1']), helper.make_node('Sub', ['one', 'p1'], ['p0']),
         helper.make_node('Concat', ['p0', 'p1'], ['output_probability'], axis=1)]
g = helper.make_graph(nodes, 'user', [helper.make_tensor_value_info('float_input', TensorProto.FLOAT, [None, len(features)])],
                      [helper.make_tensor_value_info('output_probability', TensorProto.FLOAT, [None, 2])], [W, B, one])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), os.environ['MLOPS_ONNX_OUTPUT'])
print('trained on', len(rows), 'rows')
`
    // Class b when x1 + x2 > 1, with a little noise: an easy problem the user's model should nail.
    const lines = ['x1,x2,klass']
    for (let i = 0; i < 400; i++) {
      const a = ((i * 37) % 100) / 100
      const b = ((i * 61) % 100) / 100
      lines.push(`${a},${b},${a + b + ((i % 7) - 3) / 100 > 1 ? 'b' : 'a'}`)
    }
    const run = await train(
      { dataset: 'byo.csv', target: 'klass', command: '/usr/bin/python3 train.py', 'output-dir': 'out/byo' },
      { 'byo.csv': lines.join('\n') + '\n', 'train.py': script },
    )
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('trained on 320 rows')
    expect(Number(run.outputs['primary-value'])).toBeGreaterThan(0.97)
    const bundle = await readModelBundle(run.outputs.bundle!)
    expect(bundle.info.modelType).toBe('command')
    expect(checkWithPython(run.outputs.bundle!)).toBe('ok 2')
    // The wrapped graph takes one input per column and returns class names.
    const session = await ort.InferenceSession.create(bundle.onnx)
    const out = await session.run({
      x1: new ort.Tensor('float32', Float32Array.from([0.9, 0.1]), [2, 1]),
      x2: new ort.Tensor('float32', Float32Array.from([0.9, 0.1]), [2, 1]),
    })
    expect(out.label!.data).toEqual(['b', 'a'])
  })

  describe('bad input is one clear error, never a stack trace', () => {
    const cases: Array<[string, Record<string, string>, Record<string, string>, RegExp]> = [
      [
        'an unknown target column',
        { ...readmission, target: 'readmitted' },
        {},
        /target column 'readmitted' is not in the data/,
      ],
      [
        'a target with one class',
        { dataset: 'one.csv', target: 'y' },
        { 'one.csv': 'x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n' },
        /target column 'y' has only one class \('a'\) in 5 labelled rows/,
      ],
      [
        'a word in a numeric column, with file, line and column',
        { dataset: 'typo.csv', target: 'y' },
        {
          'typo.csv':
            'x,y\n' +
            Array.from({ length: 200 }, (_, i) => `${i === 150 ? 'l5' : i},${i % 2}`).join('\n') +
            '\n',
        },
        /typo\.csv:152: column 'x' looks numeric \(199 of 200 values are numbers\) but holds "l5"/,
      ],
      [
        'an unknown model type',
        { ...readmission, 'model-type': 'xgboost' },
        {},
        /Input 'model-type' must be one of logistic-regression/,
      ],
      [
        'an unknown parameter',
        { ...readmission, params: '{c: 2}' },
        {},
        /logistic-regression has no parameter 'c'; it takes C, max_iter, tol/,
      ],
      [
        'a command that writes no model',
        { ...readmission, command: 'echo nothing' },
        {},
        /your training command finished but wrote no ONNX file to \$MLOPS_ONNX_OUTPUT/,
      ],
      [
        'a command that writes something that is not ONNX',
        { ...readmission, command: 'echo garbage > "$MLOPS_ONNX_OUTPUT"' },
        {},
        /the ONNX file from your command is not an ONNX model/,
      ],
      [
        'a failing command',
        { ...readmission, command: 'exit 3' },
        {},
        /your training command exited with code 3/,
      ],
    ]
    it.each(cases)('%s', async (_, inputs, files, message) => {
      const run = await train({ ...inputs, 'output-dir': 'out/bad' }, files)
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(message)
      expect(run.log).not.toMatch(/\n\s+at /)
    })
  })
})
