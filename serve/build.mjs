// Bundles the server into dist/ for the container image (serve is never bundled into an action):
//   dist/server.mjs        the server, every dependency inlined except onnxruntime-node (a native addon)
//   dist/image-codecs.cjs  pngjs + jpeg-js (dependencies of @mlops/data that serve loads on the first upload)
//   dist/node_modules/     with --runtime-deps: onnxruntime-node (this platform's binaries only) and
//                          onnxruntime-common, so dist/ alone is the whole application
// Usage: node serve/build.mjs [--outdir DIR] [--runtime-deps]
import { build } from 'esbuild'
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const outArg = process.argv.indexOf('--outdir')
const outdir = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(here, 'dist')
const runtimeDeps = process.argv.includes('--runtime-deps')
const require = createRequire(join(here, 'package.json'))

await rm(outdir, { recursive: true, force: true })
await mkdir(outdir, { recursive: true })
const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  legalComments: 'none',
  logLevel: 'error',
  metafile: true,
}
const server = await build({
  ...common,
  entryPoints: [join(here, 'src/main.ts')],
  outfile: join(outdir, 'server.mjs'),
  format: 'esm',
  external: ['onnxruntime-node'],
  // CommonJS dependencies (express, busboy) still call require() for node builtins inside an ESM bundle.
  banner: {
    js: "import { createRequire as __serveCreateRequire } from 'node:module'; const require = __serveCreateRequire(import.meta.url);",
  },
})
// Resolved from @mlops/data's folder, where they are installed.
const codecs = await build({
  ...common,
  stdin: {
    contents: "module.exports = { png: require('pngjs').PNG, jpeg: require('jpeg-js') }",
    resolveDir: dirname(require.resolve('@mlops/data')),
    loader: 'js',
  },
  outfile: join(outdir, 'image-codecs.cjs'),
  format: 'cjs',
})
await writeFile(join(outdir, 'package.json'), '{ "type": "module", "private": true }\n')

if (runtimeDeps) {
  // onnxruntime-node needs only onnxruntime-common at run time (adm-zip and global-agent serve its installer).
  const ortDir = dirname(require.resolve('onnxruntime-node/package.json'))
  // A sibling in both pnpm's and npm's layouts (its exports hide package.json from require.resolve).
  const commonDir = join(dirname(ortDir), 'onnxruntime-common')
  const modules = join(outdir, 'node_modules')
  await cp(ortDir, join(modules, 'onnxruntime-node'), { recursive: true, dereference: true })
  await cp(commonDir, join(modules, 'onnxruntime-common'), { recursive: true, dereference: true })
  // The package ships native libraries for every OS and CPU (about 290 MB): keep this platform's.
  const bin = join(modules, 'onnxruntime-node', 'bin')
  for (const napi of await readdir(bin)) {
    for (const os of await readdir(join(bin, napi))) {
      if (os !== process.platform) await rm(join(bin, napi, os), { recursive: true, force: true })
      else
        for (const arch of await readdir(join(bin, napi, os)))
          if (arch !== process.arch) await rm(join(bin, napi, os, arch), { recursive: true, force: true })
    }
  }
}
const bytes = [server, codecs].reduce(
  (sum, r) => sum + Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0),
  0,
)
console.log(`bundled ${outdir} (${(bytes / 1024).toFixed(0)} KiB${runtimeDeps ? ' + onnxruntime-node' : ''})`)
