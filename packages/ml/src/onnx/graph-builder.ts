import onnxProto from 'onnx-proto'

const { onnx } = onnxProto

/** Element types the exported graphs use; names follow ONNX's TensorProto.DataType. */
export type ElementType = 'float' | 'double' | 'int64' | 'string' | 'bool'

const DATA_TYPE: Record<ElementType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  double: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  string: onnx.TensorProto.DataType.STRING,
  bool: onnx.TensorProto.DataType.BOOL,
}

/** A dimension is a fixed size or a symbolic name (`'N'` for the batch), which ONNX treats as variable. */
export type Dim = number | string

export type AttributeValue = number | string | number[] | string[] | { ints: number[] } | { floats: number[] }

export interface TensorValue {
  type: ElementType
  dims: number[]
  values: readonly number[] | readonly string[] | readonly boolean[]
}

/** The opsets onnxruntime 1.30 supports fully; ai.onnx.ml 3 has Imputer, Scaler, OneHotEncoder, TreeEnsemble*. */
export const DEFAULT_OPSET = 17
export const DEFAULT_ML_OPSET = 3
export const ML_DOMAIN = 'ai.onnx.ml'

export interface ModelOptions {
  producerName?: string
  producerVersion?: string
  docString?: string
  metadata?: Record<string, string>
  opset?: number
  mlOpset?: number
}

function valueInfo(name: string, type: ElementType, shape: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  })
}

function tensorProto(name: string, tensor: TensorValue) {
  const count = tensor.dims.reduce((n, d) => n * d, 1)
  if (count !== tensor.values.length) {
    throw new Error(
      `initializer ${name}: dims ${JSON.stringify(tensor.dims)} need ${count} values, got ${tensor.values.length}`,
    )
  }
  const base = { name, dims: tensor.dims, dataType: DATA_TYPE[tensor.type] }
  switch (tensor.type) {
    case 'float':
      return onnx.TensorProto.create({ ...base, floatData: tensor.values as number[] })
    case 'double':
      return onnx.TensorProto.create({ ...base, doubleData: tensor.values as number[] })
    case 'int64':
      return onnx.TensorProto.create({ ...base, int64Data: tensor.values as number[] })
    case 'bool':
      return onnx.TensorProto.create({
        ...base,
        int32Data: (tensor.values as boolean[]).map((b) => (b ? 1 : 0)),
      })
    case 'string':
      return onnx.TensorProto.create({
        ...base,
        stringData: (tensor.values as string[]).map((s) => new TextEncoder().encode(s)),
      })
  }
}

function attribute(name: string, value: AttributeValue) {
  const { FLOAT, INT, STRING, FLOATS, INTS, STRINGS } = onnx.AttributeProto.AttributeType
  if (typeof value === 'string')
    return onnx.AttributeProto.create({ name, type: STRING, s: new TextEncoder().encode(value) })
  if (typeof value === 'number') {
    // ONNX has no "number": whole numbers go as INT, fractions as FLOAT. Use { floats: [...] } to force floats.
    return Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: INT, i: value })
      : onnx.AttributeProto.create({ name, type: FLOAT, f: value })
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return onnx.AttributeProto.create({
        name,
        type: STRINGS,
        strings: (value as string[]).map((s) => new TextEncoder().encode(s)),
      })
    }
    return onnx.AttributeProto.create({ name, type: FLOATS, floats: value as number[] })
  }
  if ('ints' in value) return onnx.AttributeProto.create({ name, type: INTS, ints: value.ints })
  return onnx.AttributeProto.create({ name, type: FLOATS, floats: value.floats })
}

/**
 * Builds one ONNX graph node by node. Names are made unique by the builder so that preprocessing for many
 * columns and the model head can be composed without name clashes.
 */
export class GraphBuilder {
  private readonly nodes: ReturnType<typeof onnx.NodeProto.create>[] = []
  private readonly inputs: ReturnType<typeof valueInfo>[] = []
  private readonly outputs: ReturnType<typeof valueInfo>[] = []
  private readonly initializers: ReturnType<typeof tensorProto>[] = []
  private readonly used = new Set<string>()
  private usesMl = false

  constructor(private readonly name: string) {}

  /** A fresh name with the given stem: `scaled`, `scaled_1`, ... */
  fresh(stem: string): string {
    let name = stem.replace(/[^\w.-]/g, '_')
    for (let i = 1; this.used.has(name); i++) name = `${stem}_${i}`
    this.used.add(name)
    return name
  }

  input(name: string, type: ElementType, shape: readonly Dim[]): string {
    if (this.used.has(name)) throw new Error(`graph input '${name}' is declared twice`)
    this.used.add(name)
    this.inputs.push(valueInfo(name, type, shape))
    return name
  }

  output(name: string, type: ElementType, shape: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, type, shape))
    return name
  }

  constant(stem: string, tensor: TensorValue): string {
    const name = this.fresh(stem)
    this.initializers.push(tensorProto(name, tensor))
    return name
  }

  /** Adds a node and returns its output names (fresh ones unless given). */
  node(
    opType: string,
    inputs: readonly string[],
    options: {
      outputs?: readonly string[]
      outputCount?: number
      attributes?: Record<string, AttributeValue>
      domain?: string
    } = {},
  ): string[] {
    const outputs =
      options.outputs?.map((o) => {
        this.used.add(o)
        return o
      }) ??
      Array.from({ length: options.outputCount ?? 1 }, (_, i) =>
        this.fresh(`${opType.toLowerCase()}_out${i}`),
      )
    if (options.domain === ML_DOMAIN) this.usesMl = true
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: [...inputs],
        output: outputs,
        name: this.fresh(`${opType}`),
        domain: options.domain ?? '',
        attribute: Object.entries(options.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    )
    return outputs
  }

  /** Serialises the model (IR version 8 matches opset 17, which onnxruntime and onnx 1.12 both accept). */
  toBytes(options: ModelOptions = {}): Uint8Array {
    const opsets = [{ domain: '', version: options.opset ?? DEFAULT_OPSET }]
    if (this.usesMl) opsets.push({ domain: ML_DOMAIN, version: options.mlOpset ?? DEFAULT_ML_OPSET })
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: options.producerName ?? 'mlops-actions',
      producerVersion: options.producerVersion ?? '0.1.0',
      docString: options.docString ?? '',
      opsetImport: opsets,
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      }),
    })
    return onnx.ModelProto.encode(model).finish()
  }
}
