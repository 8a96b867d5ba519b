import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Runs Debian's python3 with a script; a missing module fails with the apt package to install, not a skip. */
export function python(script: string, args: string[], needs: string): string {
  try {
    return execFileSync('/usr/bin/python3', ['-c', script, ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr || error)
    const missing = /ModuleNotFoundError|ENOENT/.test(stderr)
    throw new Error(
      missing
        ? `this test needs /usr/bin/python3 with ${needs} (bash scripts/apt-deps.sh ${needs}):\n${stderr}`
        : stderr,
    )
  }
}

/**
 * onnx.checker.check_model on the serialised model (python3-onnx 1.12); returns 'ok' or throws its message.
 * Not full_check: onnx 1.12 has no type inference for the ai.onnx.ml preprocessing ops.
 */
export function checkOnnxModel(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-'))
  try {
    const file = join(dir, 'model.onnx')
    writeFileSync(file, bytes)
    return python(
      'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1])); print("ok")',
      [file],
      'python3-onnx',
    ).trim()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** scikit-learn's bundled 8x8 digits with a fixed stratified 75/25 split (random_state 42). */
export interface Digits {
  images: number[][]
  target: number[]
  train: number[]
  test: number[]
}

export function loadSklearnDigits(): Digits {
  const script = `
import json
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
d = load_digits()
rows = list(range(len(d.target)))
train, test = train_test_split(rows, test_size=0.25, random_state=42, stratify=d.target)
print(json.dumps({'images': d.images.reshape(len(rows), -1).astype(int).tolist(),
                  'target': d.target.tolist(), 'train': train, 'test': test}))`
  return JSON.parse(python(script, [], 'python3-sklearn')) as Digits
}
