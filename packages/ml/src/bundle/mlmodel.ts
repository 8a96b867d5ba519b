import { parse, stringify } from 'yaml'

/**
 * The MLmodel file of an MLflow model directory with the ONNX flavor, as mlflow.onnx writes it and
 * mlflow.pyfunc.load_model reads it: flavors.onnx + flavors.python_function, and a signature whose inputs and
 * outputs are JSON strings (a column schema, one named input per dataset column; or for image models a tensor
 * schema, one `image` [-1, H, W, C] input).
 */
export type ColumnType = 'float' | 'double' | 'long' | 'integer' | 'string' | 'boolean'

export interface ColumnSpec {
  name: string
  type: ColumnType
}

export interface TensorSpec {
  name: string
  dtype: 'float32' | 'float64' | 'int64' | 'str'
  shape: number[]
}

export interface MlModel {
  modelUuid: string
  utcTimeCreated: string
  onnxVersion: string
  inputs: ColumnSpec[]
  /**
   * A tensor-based input signature instead of the column one (image models: `image` [-1, H, W, C] float32).
   * When present, `inputs` is empty: MLflow takes one schema kind per signature side.
   */
  tensorInputs?: TensorSpec[]
  outputs: TensorSpec[]
  metadata?: Record<string, string>
}

export const MLFLOW_VERSION = '2.17.2'
export const MODEL_FILE = 'model.onnx'

const tensorSchema = (specs: readonly TensorSpec[]) =>
  specs.map((t) => ({ type: 'tensor', 'tensor-spec': { dtype: t.dtype, shape: t.shape }, name: t.name }))

export function renderMlModel(model: MlModel): string {
  const tensorInputs = model.tensorInputs ?? []
  const document = {
    artifact_path: 'model',
    flavors: {
      onnx: {
        code: null,
        data: MODEL_FILE,
        onnx_version: model.onnxVersion,
        providers: ['CPUExecutionProvider'],
      },
      python_function: {
        data: MODEL_FILE,
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.onnx',
        python_version: '3.11.7',
      },
    },
    mlflow_version: MLFLOW_VERSION,
    model_uuid: model.modelUuid,
    signature: {
      // MLflow stores both schemas as JSON text inside the YAML, not as YAML structures.
      inputs: JSON.stringify(
        tensorInputs.length > 0
          ? tensorSchema(tensorInputs)
          : model.inputs.map((c) => ({ type: c.type, name: c.name, required: true })),
      ),
      outputs: JSON.stringify(tensorSchema(model.outputs)),
      params: null,
    },
    utc_time_created: model.utcTimeCreated,
    ...(model.metadata ? { metadata: model.metadata } : {}),
  }
  return stringify(document, { lineWidth: 0 })
}

export class BundleFormatError extends Error {}

/** Reads MLmodel back with the checks a loader relies on; every problem names the field. */
export function parseMlModel(text: string, file = 'MLmodel'): MlModel {
  let doc: Record<string, unknown>
  try {
    doc = parse(text) as Record<string, unknown>
  } catch (error) {
    throw new BundleFormatError(`${file}: not valid YAML: ${(error as Error).message}`)
  }
  const need = (condition: unknown, what: string): void => {
    if (!condition) throw new BundleFormatError(`${file}: ${what}`)
  }
  const flavors = doc?.flavors as Record<string, Record<string, unknown>> | undefined
  need(flavors?.onnx, 'flavors.onnx is missing: not an ONNX-flavor MLflow model')
  need(flavors!.onnx!.data === MODEL_FILE, `flavors.onnx.data must be ${MODEL_FILE}`)
  need(
    flavors!.python_function?.loader_module === 'mlflow.onnx',
    'flavors.python_function.loader_module must be mlflow.onnx',
  )
  const signature = doc.signature as Record<string, unknown> | undefined
  need(typeof signature?.inputs === 'string', 'signature.inputs must be a JSON string')
  need(typeof signature?.outputs === 'string', 'signature.outputs must be a JSON string')
  let inputs: Array<{
    name: string
    type: ColumnType | 'tensor'
    'tensor-spec'?: { dtype: TensorSpec['dtype']; shape: number[] }
  }>
  let outputs: Array<{ name: string; 'tensor-spec': { dtype: TensorSpec['dtype']; shape: number[] } }>
  try {
    inputs = JSON.parse(signature!.inputs as string)
    outputs = JSON.parse(signature!.outputs as string)
  } catch {
    throw new BundleFormatError(`${file}: signature inputs/outputs are not valid JSON`)
  }
  need(
    Array.isArray(inputs) && inputs.every((c) => typeof c.name === 'string' && typeof c.type === 'string'),
    'signature.inputs must list {name, type}',
  )
  const tensors = inputs.filter((c) => c.type === 'tensor')
  need(
    tensors.length === 0 || tensors.length === inputs.length,
    'signature.inputs mixes tensor and column specs (MLflow takes one kind)',
  )
  need(
    tensors.every(
      (t) => typeof t['tensor-spec']?.dtype === 'string' && Array.isArray(t['tensor-spec'].shape),
    ),
    'signature.inputs tensors must have a tensor-spec with dtype and shape',
  )
  return {
    modelUuid: String(doc.model_uuid ?? ''),
    utcTimeCreated: String(doc.utc_time_created ?? ''),
    onnxVersion: String(flavors!.onnx!.onnx_version ?? ''),
    inputs: tensors.length > 0 ? [] : inputs.map((c) => ({ name: c.name, type: c.type as ColumnType })),
    ...(tensors.length > 0
      ? {
          tensorInputs: tensors.map((t) => ({
            name: t.name,
            dtype: t['tensor-spec']!.dtype,
            shape: t['tensor-spec']!.shape,
          })),
        }
      : {}),
    outputs: outputs.map((t) => ({
      name: t.name,
      dtype: t['tensor-spec'].dtype,
      shape: t['tensor-spec'].shape,
    })),
    ...(doc.metadata ? { metadata: doc.metadata as Record<string, string> } : {}),
  }
}
