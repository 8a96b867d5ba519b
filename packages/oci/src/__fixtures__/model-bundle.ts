import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

/**
 * A bundle-shaped folder (MLmodel, model.onnx, bundle.json, reference.json) with random ONNX bytes, a nested
 * folder, an executable file and a name longer than ustar's 100 bytes, so packing has every case to get right.
 */
export async function writeFakeBundle(dir: string, onnxBytes = 300_000): Promise<void> {
  await mkdir(join(dir, 'extras', 'a-rather-long-folder-name-to-push-the-path-past-one-hundred-bytes'), {
    recursive: true,
  })
  await writeFile(join(dir, 'MLmodel'), 'flavors:\n  onnx:\n    data: model.onnx\n')
  await writeFile(join(dir, 'model.onnx'), randomBytes(onnxBytes))
  await writeFile(
    join(dir, 'bundle.json'),
    JSON.stringify({
      schema: 'mlops-actions/model-bundle@1',
      dataHash: `sha256:${'ab'.repeat(32)}`,
      gitSha: '0123456789abcdef0123456789abcdef01234567',
    }),
  )
  await writeFile(
    join(dir, 'reference.json'),
    '{"schema":"mlops-actions/reference-profile@1","rows":0,"columns":[]}',
  )
  const long = join(
    dir,
    'extras',
    'a-rather-long-folder-name-to-push-the-path-past-one-hundred-bytes',
    'and-a-long-file-name-too.txt',
  )
  await writeFile(long, 'long path\n')
  await writeFile(join(dir, 'extras', 'run.sh'), '#!/bin/sh\necho hi\n')
  await chmod(join(dir, 'extras', 'run.sh'), 0o700)
}

/** Every file under `dir` as relative path -> bytes, for byte-for-byte comparison. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d)) {
      const full = join(d, name)
      if ((await stat(full)).isDirectory()) await walk(full)
      else files.set(relative(dir, full), await readFile(full))
    }
  }
  await walk(dir)
  return files
}
