// Bundles one action (or the CLI) into a single ESM file with esbuild.
// Why esbuild and not ncc: ncc's ESM output is unreliable with ESM-only deps (@actions/core 3), and it cannot
// relocate onnxruntime-node's native binaries, which later actions need; esbuild handles both (copying .node files).
// Output is deterministic for a given lockfile, so CI can rebuild and diff against the committed dist/.
import { build } from 'esbuild'
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'

const kind = process.argv[2]
const cwd = process.cwd()
// check-dist builds into a temp folder and compares, so it never touches the committed dist/.
const outArg = process.argv.indexOf('--outdir')
const outdir = outArg > 0 ? resolve(process.argv[outArg + 1]) : resolve(cwd, 'dist')
const targets = {
  action: { entry: 'src/index.ts', outfile: 'dist/index.js' },
  cli: { entry: 'src/bin.ts', outfile: 'dist/mlops.js' },
}
const target = targets[kind]
if (!target) {
  console.error(`usage: bundle.mjs ${Object.keys(targets).join('|')}`)
  process.exit(2)
}

await rm(outdir, { recursive: true, force: true })
await mkdir(outdir, { recursive: true })
const result = await build({
  entryPoints: [resolve(cwd, target.entry)],
  outfile: join(outdir, target.outfile.replace(/^dist\//, '')),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // Actions run onnxruntime as WebAssembly: onnxruntime-node's native libraries are 45 MB for linux-x64 alone and
  // differ per runner OS, while one 12 MB wasm file runs everywhere. The API is the same, so code imports
  // onnxruntime-node (tests and serve use it natively) and only the action bundles swap it.
  alias: kind === 'action' ? { 'onnxruntime-node': 'onnxruntime-web' } : {},
  // CommonJS dependencies inside an ESM bundle still call require() for node builtins.
  banner: {
    js: "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);",
  },
})
const usesOrt = Object.keys(result.metafile.inputs).some((file) => file.includes('onnxruntime-web'))
if (usesOrt) {
  // onnxruntime-web loads these from beside the bundle (import.meta.url) at the first session.
  const require = createRequire(join(cwd, 'package.json'))
  const dist = dirname(require.resolve('onnxruntime-web'))
  for (const file of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
    await copyFile(join(dist, file), join(outdir, file))
  }
}
// The runner runs dist/index.js with plain `node`; this makes it ESM even if the folder is copied alone.
await writeFile(join(outdir, 'package.json'), '{ "type": "module" }\n')
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0)
console.log(`bundled ${target.outfile} (${(bytes / 1024).toFixed(0)} KiB)`)
