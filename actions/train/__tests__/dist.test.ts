import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'
import { decodeImage, encodePng } from '@mlops/data'
import { readModelBundle, scoreClassifier, stratifiedSplit } from '@mlops/ml'
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
  await writeBars(join(workspace, 'bars'))
})

const BAR_CLASSES = ['diagonal', 'horizontal', 'vertical']

/**
 * A digit-like PNG set: 30 grey 8x8 images per class of a bright bar (horizontal, vertical or diagonal) in one of
 * four middle places, seeded, on a noisy background, one sub-folder per class.
 */
async function writeBars(dir: string, perClass = 30): Promise<void> {
  let state = 12345
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (const [kind, name] of BAR_CLASSES.entries()) {
    await mkdir(join(dir, name), { recursive: true })
    for (let i = 0; i < perClass; i++) {
      const at = 2 + Math.floor(random() * 4)
      const pixels = new Uint8Array(64)
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const on = kind === 0 ? (x - y + 8) % 8 === at : kind === 1 ? y === at : x === at
          pixels[y * 8 + x] = on ? 200 + Math.floor(random() * 55) : Math.floor(random() * 60)
        }
      }
      const file = join(dir, name, `${String(i).padStart(2, '0')}.png`)
      await writeFile(file, encodePng({ width: 8, height: 8, channels: 1, pixels }))
    }
  }
}

/** Keeps each CNN fit to about a second on a loaded machine. */
const SMALL_CNN = '{filters: [8], dense_units: [16], epochs: 20, validation_fraction: 0, learning_rate: 0.01}'
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

  it('image classification: a CNN on class folders, tensor signature, metrics of the exported graph', async () => {
    const run = await train({
      task: 'image-classification',
      dataset: 'bars',
      params: SMALL_CNN,
      'output-dir': 'out/cnn',
    })
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('90 images of 8x8x1; diagonal 30, horizontal 30, vertical 30')
    expect(run.log).toMatch(/cnn: epoch 20\/20, loss 0\.\d+/)
    expect(run.outputs['primary-metric']).toBe('f1_macro')
    const f1 = Number(run.outputs['primary-value'])
    expect(f1).toBeGreaterThanOrEqual(0.9)
    const metrics = JSON.parse(await readFile(run.outputs.metrics!, 'utf8'))
    expect(metrics).toMatchObject({
      schema: 'mlops-actions/train-metrics@1',
      modelType: 'cnn',
      task: 'multiclass',
      classes: BAR_CLASSES,
      primaryMetric: 'f1_macro',
      rows: { train: 72, test: 18, droppedMissingTarget: 0 },
      image: { width: 8, height: 8, channels: 1 },
      params: { filters: [8], epochs: 20 },
    })
    expect(metrics.exportError).toBeLessThan(1e-5)
    expect(metrics.curve).toHaveLength(20)
    expect(metrics.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(18)

    const bundleDir = run.outputs.bundle!
    const bundle = await readModelBundle(bundleDir)
    expect(bundle.info).toMatchObject({
      modelType: 'cnn',
      labels: BAR_CLASSES,
      features: [],
      image: { width: 8, height: 8, channels: 1, scale: 1 },
    })
    expect(bundle.info.metrics.f1_macro).toBe(f1)
    expect(bundle.mlmodel.tensorInputs).toEqual([{ name: 'image', dtype: 'float32', shape: [-1, 8, 8, 1] }])
    expect(checkWithPython(bundleDir)).toBe('ok 1')
    const signature = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        "import sys, yaml; print(yaml.safe_load(open(sys.argv[1] + '/MLmodel'))['signature']['inputs'])",
        bundleDir,
      ],
      { encoding: 'utf8' },
    )
    expect(JSON.parse(signature)).toEqual([
      { type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 8, 8, 1] }, name: 'image' },
    ])
    const reference = JSON.parse(await readFile(join(bundleDir, 'reference.json'), 'utf8'))
    expect(reference.columns.map((c: { name: string }) => c.name)).toEqual([
      'brightness',
      'contrast',
      'label',
    ])

    // The bundle run natively on the decoded PNGs, on the same stratified holdout, gives the logged metrics.
    const files = BAR_CLASSES.flatMap((c) =>
      Array.from({ length: 30 }, (_, i) => `${c}/${String(i).padStart(2, '0')}.png`),
    )
    const labels = Int32Array.from(files, (f) => BAR_CLASSES.indexOf(f.split('/')[0]!))
    const { test } = stratifiedSplit(labels, 0.2, 42)
    const pixels = new Float32Array(test.length * 64)
    for (const [i, r] of test.entries()) {
      pixels.set(decodeImage(await readFile(join(workspace, 'bars', files[r]!)), files[r]!).pixels, i * 64)
    }
    const session = await ort.InferenceSession.create(bundle.onnx)
    const out = await session.run({ image: new ort.Tensor('float32', pixels, [test.length, 8, 8, 1]) })
    await session.release()
    const native = scoreClassifier(
      Int32Array.from(test, (r) => labels[r]!),
      out.probabilities!.data as Float32Array,
      3,
    )
    expect(native.metrics.accuracy).toBe(metrics.metrics.accuracy)
    expect(native.metrics.f1_macro).toBeCloseTo(f1, 12)
    expect(native.metrics.log_loss).toBeCloseTo(metrics.metrics.log_loss, 5)

    expect(run.summary).toContain('## Train: cnn — f1_macro')
    expect(run.summary).toContain('on 72 images of 8x8x1 pixels')
    expect(run.summary).toContain('18 held-out images (stratified, seed 42)')
    expect(run.summary).toContain('| f1\\_macro (primary) |')
    expect(run.summary).toMatch(/\n\| diagonal \| \d+ \| \d+ \| \d+ \|\n/)
    expect(run.summary).not.toContain('\\*')
    expect(run.summary).toContain('### Confusion matrix')
    expect(run.summary).toContain('xychart-beta')
  })

  it('image classification from a labels CSV, with a search over the learning rate', async () => {
    const rows = BAR_CLASSES.flatMap((c) =>
      Array.from({ length: 30 }, (_, i) => `bars/${c}/${String(i).padStart(2, '0')}.png,${c}`),
    )
    const run = await train(
      {
        task: 'image-classification',
        dataset: 'labels.csv',
        params: SMALL_CNN,
        'search-space': 'cnn-space.yml',
        seed: '3',
        'output-dir': 'out/cnn-csv',
      },
      {
        'labels.csv': ['file,label', ...rows].join('\n') + '\n',
        'cnn-space.yml': 'holdout: 0.25\nparams:\n  learning_rate: [0.00001, 0.01]\n',
      },
    )
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(/trial 1\/2: \{"filters":\[8\],.*"learning_rate":0\.00001/)
    const metrics = JSON.parse(await readFile(run.outputs.metrics!, 'utf8'))
    expect(metrics.search.trials).toHaveLength(2)
    expect(metrics.search.trials[metrics.search.best].params.learning_rate).toBe(metrics.params.learning_rate)
    expect(metrics.seed).toBe(3)
    expect(Number(run.outputs['primary-value'])).toBeGreaterThanOrEqual(0.9)
    expect(run.summary).toContain('Search: 2 grid trials, holdout of 25%')
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
    const png = (value: number) =>
      encodePng({ width: 8, height: 8, channels: 1, pixels: new Uint8Array(64).fill(value) })
    const imageCases: Array<[string, Record<string, string>, Record<string, Uint8Array | string>, RegExp]> = [
      [
        'an image folder with one class',
        { task: 'image-classification', dataset: 'one' },
        { 'one/only/a.png': png(10), 'one/only/b.png': png(20), 'one/only/c.png': png(30) },
        /Input 'dataset': one has only one class \('only', 3 images\); image classification needs two or more class sub-folders/,
      ],
      [
        'an unreadable image',
        { task: 'image-classification', dataset: 'broken' },
        {
          'broken/a/1.png': png(10),
          'broken/a/2.png': png(20),
          'broken/b/1.png': png(200),
          'broken/b/2.png': 'not an image',
        },
        /Input 'dataset': cannot read image broken\/b\/2\.png: not a PNG or JPEG \(unknown signature\); fix or remove it/,
      ],
      [
        'cnn on a CSV table',
        { ...readmission, 'model-type': 'cnn' },
        {},
        /Input 'model-type' 'cnn' trains on images: set 'task: image-classification'/,
      ],
      [
        'a CSV table as an image dataset',
        { task: 'image-classification', dataset: 'readmission.csv' },
        {},
        /Input 'dataset': readmission\.csv is a table, not a labels CSV of images: .*needs a file column/,
      ],
      [
        'a tabular model type with images',
        { task: 'image-classification', dataset: 'bars', 'model-type': 'random-forest' },
        {},
        /Input 'model-type' 'random-forest' trains on tables; with task 'image-classification' it must be one of cnn/,
      ],
      [
        'a target with images',
        { task: 'image-classification', dataset: 'bars', target: 'label' },
        {},
        /Input 'target' applies to task 'tabular', not to 'image-classification'/,
      ],
      [
        'an image folder as a table',
        { dataset: 'bars', target: 'label' },
        {},
        /Input 'dataset': bars is a folder of images, not a table; set 'task: image-classification'/,
      ],
    ]
    it.each(imageCases)('%s', async (_, inputs, files, message) => {
      for (const [name, bytes] of Object.entries(files)) {
        await mkdir(join(workspace, name, '..'), { recursive: true })
        await writeFile(join(workspace, name), bytes)
      }
      const run = await train({ ...inputs, 'output-dir': 'out/bad' })
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(message)
      expect(run.log).not.toMatch(/\n\s+at /)
    })
    it.each(cases)('%s', async (_, inputs, files, message) => {
      const run = await train({ ...inputs, 'output-dir': 'out/bad' }, files)
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(message)
      expect(run.log).not.toMatch(/\n\s+at /)
    })
  })
})
