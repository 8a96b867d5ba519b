import * as tf from '@tensorflow/tfjs-core'
// The pure-JS cpu backend runs anywhere Node does and gives the same numbers on every run. (The wasm backend has
// no Conv2DBackpropFilter kernel, so it cannot train a CNN.) Named imports, not bare ones: bundlers drop a bare
// import of these packages' Node builds, which their package.json does not list as having side effects.
import { MathBackendCPU, version_cpu } from '@tensorflow/tfjs-backend-cpu'
// tfjs-core's own builds do not register gradient functions (its register_all_gradients module is not valid
// Node ESM); tfjs-layers' build registers all of them into tfjs-core's global registry when it loads.
import { version_layers } from '@tensorflow/tfjs-layers'

export { tf }

/** The TF.js versions a model was trained with, for its details. */
export const TFJS_VERSION = `tfjs-core ${tf.version_core}, tfjs-backend-cpu ${version_cpu}, tfjs-layers ${version_layers}`

/**
 * Selects the cpu backend. Its initialisation is synchronous, so the backend is in place when setBackend returns
 * (the promise only reports it). PROD mode skips tfjs' debug checks and its "install tfjs-node" notice, which
 * would otherwise land in every action log.
 */
export function useCpuBackend(): void {
  if (!tf.env().getBool('PROD')) tf.enableProdMode()
  if (!tf.findBackendFactory('cpu')) tf.registerBackend('cpu', () => new MathBackendCPU(), 1)
  if (tf.getBackend() !== 'cpu') void tf.setBackend('cpu')
  if (tf.getBackend() !== 'cpu') throw new Error('the tfjs cpu backend did not initialise')
}
