// A small MLflow model folder with the ONNX flavor, and a way to compare folders byte for byte.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`))
}

export async function writeModelFolder(
  dir: string,
  onnxBytes = 4096 + Math.floor(Math.random() * 4096),
): Promise<void> {
  await mkdir(join(dir, 'nested'), { recursive: true })
  await writeFile(
    join(dir, 'MLmodel'),
    [
      'flavors:',
      '  onnx:',
      '    onnx_version: 1.17.0',
      '    data: model.onnx',
      '    providers: [CPUExecutionProvider]',
      '  python_function:',
      '    loader_module: mlflow.onnx',
      '    data: model.onnx',
      'signature:',
      `  inputs: '[{"type": "double", "name": "age"}]'`,
      `  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]'`,
      `model_uuid: ${randomBytes(16).toString('hex')}`,
      '',
    ].join('\n'),
  )
  await writeFile(join(dir, 'model.onnx'), randomBytes(onnxBytes))
  await writeFile(
    join(dir, 'bundle.json'),
    JSON.stringify({
      task: 'classification',
      labels: ['no', 'yes'],
      dataHash: randomBytes(8).toString('hex'),
    }),
  )
  await writeFile(join(dir, 'nested', 'reference.json'), JSON.stringify({ rows: Math.random() }))
  await writeFile(join(dir, 'nested', 'empty.txt'), '')
}

/** relative path -> sha256 of every file under dir. */
export async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const visit = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`
      if (entry.isDirectory()) await visit(path)
      else out[path] = await fileDigest(join(dir, path))
    }
  }
  await visit('')
  return out
}

export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}
