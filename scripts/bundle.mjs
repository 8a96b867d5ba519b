// Bundles one action (or the CLI) into a single ESM file with esbuild.
// Why esbuild and not ncc: ncc's ESM output is unreliable with ESM-only deps (@actions/core 3), and it cannot
// relocate onnxruntime-node's native binaries, which later actions need; esbuild handles both (copying .node files).
// Output is deterministic for a given lockfile, so CI can rebuild and diff against the committed dist/.
import { build } from 'esbuild'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

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
  // CommonJS dependencies inside an ESM bundle still call require() for node builtins.
  banner: {
    js: "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);",
  },
})
// The runner runs dist/index.js with plain `node`; this makes it ESM even if the folder is copied alone.
await writeFile(join(outdir, 'package.json'), '{ "type": "module" }\n')
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0)
console.log(`bundled ${target.outfile} (${(bytes / 1024).toFixed(0)} KiB)`)
