import onnxProto from 'onnx-proto'
import { LABEL_OUTPUT, PROBABILITIES_OUTPUT } from './linear-model.js'

const { onnx } = onnxProto
const { DataType } = onnx.TensorProto

/** A model from the user's own training that cannot be served as it is; the message says how to export it. */
export class ExternalModelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExternalModelError'
  }
}

export interface ExternalFeature {
  name: string
  kind: 'numeric' | 'categorical'
}

type ValueInfo = onnxProto.onnx.IValueInfoProto

function elemType(info: ValueInfo): number | undefined {
  return info.type?.tensorType?.elemType ?? undefined
}

function dims(info: ValueInfo): Array<number | string> {
  return (info.type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimParam ? d.dimParam : Number(d.dimValue ?? 0),
  )
}

function tensorInfo(name: string, type: number, shape: Array<number | string>): ValueInfo {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  })
}

/**
 * Makes an ONNX file from the user's own training speak the bundle's contract: one [N, 1] input per feature
 * column, named after it, and outputs `label` (class names) and `probabilities` (float [N, classes]).
 *
 * Accepted as exported by skl2onnx, tf2onnx or torch.onnx:
 * - inputs: already one per column, named after the columns; or a single float/double [N, F] tensor whose F
 *   columns are the numeric features in dataset order (a Concat of per-column inputs is put in front of it);
 * - outputs: a float/double [N, classes] probability tensor (named `probabilities`, `output_probability`,
 *   `probabilities`-like, or the only such output). skl2onnx's default ZipMap output (a sequence of maps) is
 *   refused with the option that turns it off.
 */
export function adaptExternalModel(
  bytes: Uint8Array,
  features: readonly ExternalFeature[],
  classes: readonly string[],
  file: string,
): Uint8Array {
  let model: ReturnType<typeof onnx.ModelProto.decode>
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (error) {
    throw new ExternalModelError(`${file} is not an ONNX model: ${(error as Error).message}`)
  }
  const graph = model.graph
  if (!graph) throw new ExternalModelError(`${file} has no graph`)
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name))
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''))
  const names = features.map((f) => f.name)
  const nodes = [...(graph.node ?? [])]
  const opset = model.opsetImport?.find((o) => !o.domain)?.version
  const defaultOpset = Number(opset ?? 0)

  // Inputs.
  let newInputs: ValueInfo[]
  if (inputs.every((i) => names.includes(i.name ?? ''))) {
    const missing = names.filter((n) => !inputs.some((i) => i.name === n))
    if (missing.length > 0) {
      throw new ExternalModelError(
        `${file} takes inputs ${inputs.map((i) => i.name).join(', ')} but not the feature column(s) ${missing.join(', ')}; drop them from the data (exclude-columns) or give the model an input for each`,
      )
    }
    newInputs = inputs
  } else if (inputs.length === 1) {
    const only = inputs[0]!
    const type = elemType(only)
    const shape = dims(only)
    const categorical = features.filter((f) => f.kind === 'categorical').map((f) => f.name)
    if (categorical.length > 0) {
      throw new ExternalModelError(
        `${file} takes one tensor '${only.name}', but the columns ${categorical.join(', ')} are categorical; give the model one string input per categorical column (named after it), or encode them before training and list them in exclude-columns`,
      )
    }
    if (type !== DataType.FLOAT && type !== DataType.DOUBLE) {
      throw new ExternalModelError(
        `${file} input '${only.name}' must be float or double, not ONNX type ${type}`,
      )
    }
    if (shape.length !== 2 || (typeof shape[1] === 'number' && shape[1] !== features.length)) {
      throw new ExternalModelError(
        `${file} input '${only.name}' has shape [${shape.join(', ')}], but there are ${features.length} feature columns (${names.join(', ')}); expected [N, ${features.length}]`,
      )
    }
    // Columns arrive as float, like every bundle's; a double model gets a Cast after the Concat.
    newInputs = features.map((f) => tensorInfo(f.name, DataType.FLOAT, ['N', 1]))
    const concatenated = type === DataType.FLOAT ? only.name! : 'mlops_columns_float'
    const front = [
      onnx.NodeProto.create({
        opType: 'Concat',
        input: names,
        output: [concatenated],
        name: 'mlops_concat_columns',
        attribute: [
          onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
        ],
      }),
    ]
    if (type === DataType.DOUBLE) {
      front.push(
        onnx.NodeProto.create({
          opType: 'Cast',
          input: [concatenated],
          output: [only.name!],
          name: 'mlops_cast_columns',
          attribute: [
            onnx.AttributeProto.create({
              name: 'to',
              type: onnx.AttributeProto.AttributeType.INT,
              i: DataType.DOUBLE,
            }),
          ],
        }),
      )
    }
    nodes.unshift(...front)
  } else {
    throw new ExternalModelError(
      `${file} has inputs ${inputs.map((i) => i.name).join(', ')}; name them after the feature columns (${names.join(', ')}) or use a single [N, ${features.length}] float input`,
    )
  }

  // Outputs.
  const outputs = graph.output ?? []
  const ready =
    newInputs === inputs &&
    outputs.some((o) => o.name === LABEL_OUTPUT && elemType(o) === DataType.STRING) &&
    outputs.some((o) => o.name === PROBABILITIES_OUTPUT && elemType(o) === DataType.FLOAT)
  // Already the bundle's contract (e.g. exported by this project): nothing to change.
  if (ready) return bytes
  const zipmap = outputs.find((o) => o.type?.sequenceType || o.type?.mapType)
  const probabilityLike = outputs.filter((o) => {
    const t = elemType(o)
    const shape = dims(o)
    return (
      (t === DataType.FLOAT || t === DataType.DOUBLE) &&
      shape.length === 2 &&
      (typeof shape[1] !== 'number' || shape[1] === classes.length)
    )
  })
  const probabilities =
    probabilityLike.find((o) => /prob/i.test(o.name ?? '')) ??
    (probabilityLike.length === 1 ? probabilityLike[0] : undefined)
  if (!probabilities) {
    throw new ExternalModelError(
      zipmap
        ? `${file} returns probabilities as a ZipMap ('${zipmap.name}'), which cannot be served as a tensor; convert with skl2onnx's options={id(model): {'zipmap': False}}`
        : `${file} has no float [N, ${classes.length}] probability output (outputs: ${outputs.map((o) => o.name).join(', ')}); classes are ${classes.join(', ')}`,
    )
  }
  const renamed = (stem: string) => `mlops_${stem}`
  const probabilityFloat = renamed('probabilities_float')
  nodes.push(
    onnx.NodeProto.create({
      opType: 'Cast',
      input: [probabilities.name!],
      output: [probabilityFloat],
      name: renamed('cast_probabilities'),
      attribute: [
        onnx.AttributeProto.create({
          name: 'to',
          type: onnx.AttributeProto.AttributeType.INT,
          i: DataType.FLOAT,
        }),
      ],
    }),
    onnx.NodeProto.create({
      opType: 'Identity',
      input: [probabilityFloat],
      output: [PROBABILITIES_OUTPUT],
      name: renamed('probabilities'),
    }),
    onnx.NodeProto.create({
      opType: 'ArgMax',
      input: [probabilityFloat],
      output: [renamed('class_index')],
      name: renamed('argmax'),
      attribute: [
        onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
        onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
      ],
    }),
    onnx.NodeProto.create({
      opType: 'Gather',
      input: [renamed('class_names'), renamed('class_index')],
      output: [LABEL_OUTPUT],
      name: renamed('label'),
      attribute: [
        onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
      ],
    }),
  )
  if (defaultOpset !== 0 && defaultOpset < 13) {
    throw new ExternalModelError(`${file} uses ONNX opset ${defaultOpset}; export with opset 13 or newer`)
  }
  graph.initializer = [
    ...(graph.initializer ?? []),
    onnx.TensorProto.create({
      name: renamed('class_names'),
      dims: [classes.length],
      dataType: DataType.STRING,
      stringData: classes.map((c) => new TextEncoder().encode(c)),
    }),
  ]
  graph.node = nodes
  graph.input = [...newInputs, ...(graph.input ?? []).filter((i) => initializers.has(i.name ?? ''))]
  graph.output = [
    tensorInfo(LABEL_OUTPUT, DataType.STRING, ['N']),
    tensorInfo(PROBABILITIES_OUTPUT, DataType.FLOAT, ['N', classes.length]),
  ]
  return onnx.ModelProto.encode(model).finish()
}
