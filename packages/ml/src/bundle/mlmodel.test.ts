import { execFileSync } from 'node:child_process'
import { BundleFormatError, parseMlModel, renderMlModel, type MlModel } from './mlmodel.js'

const model: MlModel = {
  modelUuid: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  utcTimeCreated: '2026-11-22 10:00:00.000000',
  onnxVersion: '1.12.0',
  inputs: [
    { name: 'age', type: 'float' },
    { name: 'admission_type', type: 'string' },
  ],
  outputs: [
    { name: 'label', dtype: 'str', shape: [-1] },
    { name: 'probabilities', dtype: 'float32', shape: [-1, 2] },
  ],
}

describe('MLmodel', () => {
  it('round-trips', () => {
    expect(parseMlModel(renderMlModel(model))).toEqual(model)
  })

  it('has the fields and signature format mlflow.onnx writes, read by an independent YAML parser (Python)', () => {
    const script = `
import json, sys, yaml
m = yaml.safe_load(sys.stdin.read())
assert m['flavors']['onnx']['data'] == 'model.onnx'
assert m['flavors']['python_function']['loader_module'] == 'mlflow.onnx'
inputs = json.loads(m['signature']['inputs'])
outputs = json.loads(m['signature']['outputs'])
print(json.dumps({'inputs': inputs, 'outputs': outputs, 'keys': sorted(m.keys())}))`
    const seen = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script], { input: renderMlModel(model), encoding: 'utf8' }),
    )
    expect(seen.inputs).toEqual([
      { type: 'float', name: 'age', required: true },
      { type: 'string', name: 'admission_type', required: true },
    ])
    expect(seen.outputs[1]).toEqual({
      type: 'tensor',
      'tensor-spec': { dtype: 'float32', shape: [-1, 2] },
      name: 'probabilities',
    })
    expect(seen.keys).toEqual(
      expect.arrayContaining(['flavors', 'mlflow_version', 'model_uuid', 'signature', 'utc_time_created']),
    )
  })

  it('names the field that is wrong', () => {
    expect(() => parseMlModel('flavors: {}\n')).toThrow(BundleFormatError)
    expect(() => parseMlModel('flavors: {}\n')).toThrow(/flavors\.onnx is missing/)
    const noSignature = renderMlModel(model).replace(/signature:[\s\S]*?utc_time_created/, 'utc_time_created')
    expect(() => parseMlModel(noSignature)).toThrow(/signature\.inputs must be a JSON string/)
    expect(() => parseMlModel('a: [')).toThrow(/not valid YAML/)
  })
})
