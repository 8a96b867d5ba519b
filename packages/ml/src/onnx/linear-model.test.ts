import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { exportLinearClassifier, predictLinear, type LinearClassifier } from './linear-model.js'
import { preprocessRow, type FeatureSpec } from './preprocess.js'

const specs: FeatureSpec[] = [
  { name: 'age', kind: 'numeric', fill: 60, mean: 62.5, std: 14.2 },
  { name: 'glucose', kind: 'numeric', fill: 110, mean: 124.1, std: 41.3 },
  { name: 'admission_type', kind: 'categorical', categories: ['Elective', 'Emergency', 'Urgent'] },
]

type Row = Record<string, number | string | null>
const rows: Row[] = [
  { age: 70, glucose: 180.5, admission_type: 'Emergency' },
  { age: null, glucose: 95, admission_type: 'Elective' }, // missing -> imputed
  { age: 45, glucose: null, admission_type: 'Trauma' }, // unseen category -> all zeros, not an error
  { age: 88, glucose: 300, admission_type: '' },
]

/** Feeds rows column by column, as the server will: one [N, 1] tensor per input, null as NaN. */
function feeds(rowsIn: Row[]): Record<string, ort.Tensor> {
  return Object.fromEntries(
    specs.map((spec) => {
      const values = rowsIn.map((r) => r[spec.name] ?? null)
      return spec.kind === 'numeric'
        ? [
            spec.name,
            new ort.Tensor('float32', Float32Array.from(values.map((v) => (v === null ? NaN : Number(v)))), [
              rowsIn.length,
              1,
            ]),
          ]
        : [
            spec.name,
            new ort.Tensor(
              'string',
              values.map((v) => String(v ?? '')),
              [rowsIn.length, 1],
            ),
          ]
    }),
  )
}

async function runGraph(bytes: Uint8Array): Promise<{ labels: string[]; probabilities: number[][] }> {
  const session = await ort.InferenceSession.create(bytes)
  const out = await session.run(feeds(rows))
  const probs = out.probabilities!.data as Float32Array
  const width = out.probabilities!.dims[1]!
  return {
    labels: [...(out.label!.data as string[])],
    probabilities: rows.map((_, i) => [...probs.slice(i * width, (i + 1) * width)]),
  }
}

function onnxChecker(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-'))
  try {
    const file = join(dir, 'model.onnx')
    writeFileSync(file, bytes)
    return execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1])); print("ok")', file],
      {
        encoding: 'utf8',
      },
    ).trim()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('exportLinearClassifier', () => {
  const binary: LinearClassifier = {
    classes: ['no', 'yes'],
    weights: [[0.8, 0.5, -0.3, 0.4, 0.1]],
    intercepts: [-1.2],
  }
  const multi: LinearClassifier = {
    classes: ['low', 'mid', 'high'],
    weights: [
      [-0.5, -0.2, 0.1, 0.0, 0.3],
      [0.1, 0.1, 0.0, 0.2, -0.1],
      [0.6, 0.4, -0.2, 0.1, 0.0],
    ],
    intercepts: [0.2, 0.0, -0.3],
  }

  it.each([
    ['binary', binary],
    ['multiclass', multi],
  ])(
    '%s: onnxruntime matches the float64 forward pass within 1e-5, preprocessing included',
    async (_, model) => {
      const { labels, probabilities } = await runGraph(exportLinearClassifier(specs, model))
      rows.forEach((row, i) => {
        const expected = predictLinear(model, preprocessRow(specs, row))
        expected.forEach((p, c) => expect(probabilities[i]![c]).toBeCloseTo(p, 5))
        expect(labels[i]).toBe(model.classes[expected.indexOf(Math.max(...expected))])
      })
      // The unseen category contributes nothing: same as an empty category.
      expect(preprocessRow(specs, rows[2]!).slice(2)).toEqual([0, 0, 0])
    },
  )

  it('passes onnx.checker.check_model (Debian python3-onnx 1.12)', () => {
    expect(onnxChecker(exportLinearClassifier(specs, binary))).toBe('ok')
    expect(onnxChecker(exportLinearClassifier(specs, multi))).toBe('ok')
  })

  it('refuses weights that do not fit the features', () => {
    expect(() => exportLinearClassifier(specs, { ...binary, weights: [[1, 2]] })).toThrow(
      /weights must be 1 x 5/,
    )
    expect(() =>
      exportLinearClassifier(specs, { classes: ['only'], weights: [[1, 1, 1, 1, 1]], intercepts: [0] }),
    ).toThrow(/two classes/)
  })
})
