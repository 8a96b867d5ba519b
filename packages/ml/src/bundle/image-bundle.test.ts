import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BundleFormatError, parseMlModel, renderMlModel } from './mlmodel.js'
import { readModelBundle, writeModelBundle } from './model-bundle.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'image-bundle-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const info = {
  task: 'multiclass' as const,
  target: 'label',
  labels: ['cat', 'dog', 'fox'],
  features: [],
  modelType: 'cnn',
  params: { epochs: 3 },
  metrics: { accuracy: 0.9 },
  dataHash: 'sha256:00',
  gitSha: null,
  image: { width: 28, height: 20, channels: 3 as const, scale: 1 },
}

describe('image model bundles', () => {
  it('carry a tensor signature MLflow reads, and bundle.json image as serve reads it', async () => {
    const written = await writeModelBundle(dir, { onnx: Uint8Array.from([1, 2, 3]), info })
    const seen = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import json, sys, yaml
m = yaml.safe_load(open(sys.argv[1] + '/MLmodel'))
print(json.dumps({'inputs': json.loads(m['signature']['inputs']), 'outputs': json.loads(m['signature']['outputs'])}))`,
          dir,
        ],
        { encoding: 'utf8' },
      ),
    )
    expect(seen.inputs).toEqual([
      { type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 20, 28, 3] }, name: 'image' },
    ])
    expect(seen.outputs[1]['tensor-spec']).toEqual({ dtype: 'float32', shape: [-1, 3] })
    const json = JSON.parse(await readFile(join(dir, 'bundle.json'), 'utf8'))
    expect(json.image).toEqual({ width: 28, height: 20, channels: 3, scale: 1 })
    expect(json.features).toEqual([])

    const read = await readModelBundle(dir)
    expect(read.mlmodel).toEqual(written.mlmodel)
    expect(read.mlmodel.inputs).toEqual([])
    expect(read.info.image).toEqual(info.image)
  })

  it('refuses a bundle.json image that the signature does not match, naming both', async () => {
    await writeModelBundle(dir, { onnx: Uint8Array.from([1]), info })
    const file = join(dir, 'bundle.json')
    const json = JSON.parse(await readFile(file, 'utf8'))
    await writeFile(file, JSON.stringify({ ...json, image: { ...json.image, width: 32 } }))
    const reading = readModelBundle(dir)
    await expect(reading).rejects.toThrow(BundleFormatError)
    await expect(readModelBundle(dir)).rejects.toThrow(
      /MLmodel signature inputs \(\[\{"name":"image","shape":\[-1,20,28,3\]\}\]\) differ from bundle\.json image \(\[\{"name":"image","shape":\[-1,20,32,3\]\}\]\)/,
    )
  })

  it('keeps the column signature when the image is given as pixel columns (serve reads them from uploads)', async () => {
    const features = Array.from({ length: 4 }, (_, p) => ({
      name: `pixel${p}`,
      kind: 'numeric' as const,
      fill: 0,
      mean: 0,
      std: 1,
    }))
    await writeModelBundle(dir, {
      onnx: Uint8Array.from([1]),
      info: { ...info, features, image: { width: 2, height: 2, channels: 1 as const, scale: 1 } },
    })
    const read = await readModelBundle(dir)
    expect(read.mlmodel.tensorInputs).toBeUndefined()
    expect(read.mlmodel.inputs.map((i) => i.name)).toEqual(['pixel0', 'pixel1', 'pixel2', 'pixel3'])
    expect(read.info.image).toEqual({ width: 2, height: 2, channels: 1, scale: 1 })
  })

  it('refuses a signature that mixes tensor and column inputs', () => {
    const text = renderMlModel({
      modelUuid: 'x',
      utcTimeCreated: 't',
      onnxVersion: '1.12.0',
      inputs: [],
      tensorInputs: [{ name: 'image', dtype: 'float32', shape: [-1, 8, 8, 1] }],
      outputs: [],
    }).replace('"name":"image"}]', '"name":"image"},{"type":"float","name":"age"}]')
    expect(() => parseMlModel(text)).toThrow(/signature\.inputs mixes tensor and column specs/)
  })
})
