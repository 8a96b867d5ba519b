import { GraphBuilder } from '../onnx/graph-builder.js'
import { LABEL_OUTPUT, PROBABILITIES_OUTPUT } from '../onnx/linear-model.js'
import { addPreprocessing, type FeatureSpec } from '../onnx/preprocess.js'
import type { Network } from './network.js'

/** The image input's name in exported CNN graphs: NHWC float pixels, [N, height, width, channels]. */
export const IMAGE_INPUT = 'image'

/** How raw pixels are normalised, inside the graph and before training alike: (x - mean[c]) * scale[c]. */
export interface PixelNormalization {
  mean: number[]
  scale: number[]
}

/** Conv/Relu/MaxPool blocks on an NCHW tensor; returns the NHWC-flattened [N, features] tensor. */
function addConvBlocks(graph: GraphBuilder, nchw: string, network: Network): string {
  let h = nchw
  network.conv.forEach((layer, i) => {
    const { kernel: k, inChannels, filters } = layer
    // tfjs keeps filters as [k, k, in, out]; ONNX Conv wants [out, in, k, k].
    const weights = new Array<number>(layer.weights.length)
    for (let r = 0; r < k; r++)
      for (let c = 0; c < k; c++)
        for (let ci = 0; ci < inChannels; ci++)
          for (let o = 0; o < filters; o++) {
            weights[((o * inChannels + ci) * k + r) * k + c] =
              layer.weights[((r * k + c) * inChannels + ci) * filters + o]!
          }
    const w = graph.constant(`conv${i}_weights`, {
      type: 'float',
      dims: [filters, inChannels, k, k],
      values: weights,
    })
    const b = graph.constant(`conv${i}_bias`, { type: 'float', dims: [filters], values: [...layer.bias] })
    // 'same' padding for an odd kernel is (k - 1) / 2 on every side, exactly as tfjs pads.
    const pad = (k - 1) / 2
    const [conv] = graph.node('Conv', [h, w, b], {
      attributes: {
        kernel_shape: { ints: [k, k] },
        pads: { ints: [pad, pad, pad, pad] },
        strides: { ints: [1, 1] },
      },
    })
    const [relu] = graph.node('Relu', [conv!])
    const [pool] = graph.node('MaxPool', [relu!], {
      attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
    })
    h = pool!
  })
  // Back to NHWC before flattening, so the dense weights see features in tfjs' (h, w, c) order.
  const [nhwc] = graph.node('Transpose', [h], { attributes: { perm: { ints: [0, 2, 3, 1] } } })
  const [flat] = graph.node('Flatten', [nhwc!], { attributes: { axis: 1 } })
  return flat!
}

/** Gemm layers with Relu between them; the last gives the logits. */
function addDenseLayers(graph: GraphBuilder, input: string, network: Network): string {
  let h = input
  network.dense.forEach((layer, i) => {
    const w = graph.constant(`dense${i}_weights`, {
      type: 'float',
      dims: [layer.inputs, layer.units],
      values: [...layer.weights],
    })
    const b = graph.constant(`dense${i}_bias`, {
      type: 'float',
      dims: [layer.units],
      values: [...layer.bias],
    })
    const [gemm] = graph.node('Gemm', [h, w, b])
    h = i < network.dense.length - 1 ? graph.node('Relu', [gemm!])[0]! : gemm!
  })
  return h
}

/** `probabilities` [N, C] (Softmax) and `label` [N] (class names), the outputs every classifier graph has. */
function addClassOutputs(graph: GraphBuilder, logits: string, classes: readonly string[]): void {
  graph.node('Softmax', [logits], { outputs: [PROBABILITIES_OUTPUT], attributes: { axis: 1 } })
  const [index] = graph.node('ArgMax', [PROBABILITIES_OUTPUT], { attributes: { axis: 1, keepdims: 0 } })
  const names = graph.constant('class_names', {
    type: 'string',
    dims: [classes.length],
    values: [...classes],
  })
  graph.node('Gather', [names, index!], { outputs: [LABEL_OUTPUT], attributes: { axis: 0 } })
  graph.output(LABEL_OUTPUT, 'string', ['N'])
  graph.output(PROBABILITIES_OUTPUT, 'float', ['N', classes.length])
}

function checkClasses(network: Network, classes: readonly string[]): void {
  const logits = network.dense[network.dense.length - 1]?.units
  if (logits !== classes.length)
    throw new Error(`the network gives ${logits} logits for ${classes.length} classes`)
}

/** An MLP after the tabular preprocessing nodes: one input per column, Gemm/Relu layers, Softmax. */
export function exportMlpClassifier(
  specs: readonly FeatureSpec[],
  network: Network,
  classes: readonly string[],
): Uint8Array {
  checkClasses(network, classes)
  const graph = new GraphBuilder('mlp_classifier')
  const features = addPreprocessing(graph, specs)
  addClassOutputs(graph, addDenseLayers(graph, features, network), classes)
  const sizes = network.dense.map((l) => l.units).join('-')
  return graph.toBytes({ docString: `MLP (${sizes}) over ${specs.length} columns, trained with TF.js` })
}

/**
 * A CNN image classifier: `image` [N, H, W, C] raw pixels -> per-channel normalisation -> NCHW -> Conv/Relu/
 * MaxPool blocks -> Flatten -> Gemm/Relu -> Softmax, with `label` and `probabilities` outputs.
 */
export function exportCnnClassifier(
  network: Network,
  image: { height: number; width: number; channels: number },
  normalization: PixelNormalization,
  classes: readonly string[],
): Uint8Array {
  checkClasses(network, classes)
  const { height, width, channels } = image
  if (normalization.mean.length !== channels || normalization.scale.length !== channels) {
    throw new Error(`normalisation needs one mean and one scale per channel (${channels})`)
  }
  const graph = new GraphBuilder('cnn_classifier')
  const input = graph.input(IMAGE_INPUT, 'float', ['N', height, width, channels])
  const mean = graph.constant('pixel_mean', { type: 'float', dims: [channels], values: normalization.mean })
  const scale = graph.constant('pixel_scale', {
    type: 'float',
    dims: [channels],
    values: normalization.scale,
  })
  const [centred] = graph.node('Sub', [input, mean])
  const [normalised] = graph.node('Mul', [centred!, scale])
  // ONNX Conv is NCHW; images arrive NHWC as decoders and tfjs lay them out.
  const features =
    network.conv.length > 0
      ? addConvBlocks(
          graph,
          graph.node('Transpose', [normalised!], { attributes: { perm: { ints: [0, 3, 1, 2] } } })[0]!,
          network,
        )
      : graph.node('Flatten', [normalised!], { attributes: { axis: 1 } })[0]!
  addClassOutputs(graph, addDenseLayers(graph, features, network), classes)
  const blocks = network.conv.map((c) => c.filters).join('-')
  return graph.toBytes({
    docString: `CNN (conv ${blocks}) on ${height}x${width}x${channels} images, trained with TF.js`,
    metadata: {
      image_layout: 'NHWC',
      image_height: String(height),
      image_width: String(width),
      image_channels: String(channels),
    },
  })
}

/** The in-graph normalisation in float32 arithmetic, applied to pixels before training and prediction. */
export function normalizePixels(
  pixels: Float32Array,
  channels: number,
  normalization: PixelNormalization,
): Float32Array {
  const mean = normalization.mean.map(Math.fround)
  const scale = normalization.scale.map(Math.fround)
  const out = new Float32Array(pixels.length)
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels
    out[i] = Math.fround(pixels[i]! - mean[c]!) * scale[c]!
  }
  return out
}
