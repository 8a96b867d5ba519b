export * from './onnx/graph-builder.js'
export * from './onnx/preprocess.js'
export * from './onnx/linear-model.js'
export * from './metrics.js'
