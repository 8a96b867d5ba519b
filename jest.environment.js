// jest runs each test file in its own vm context, so `new Float32Array()` there is not an instance of the
// Float32Array that native addons such as onnxruntime-node check against. Sharing the outer realm's typed
// array constructors makes tensors built in tests acceptable to them, as they are in production.
import NodeEnvironment from 'jest-environment-node'

const SHARED = [
  'ArrayBuffer',
  'Uint8Array',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]

export default class SharedTypedArraysEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context)
    for (const name of SHARED) this.global[name] = globalThis[name]
  }
}
