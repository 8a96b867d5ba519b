// The floor for serve's throughput: a bare node:http server that parses a JSON row, builds the same per-column
// tensors and calls the same onnxruntime-node session, with nothing else (no routing, validation, metrics,
// batching). Usage: node serve-floor.mjs <bundle-dir> <port>
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const ort = createRequire(join(root, 'serve/package.json'))('onnxruntime-node')
const [dir, port] = process.argv.slice(2)
const info = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'))
const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')), {
  intraOpNumThreads: Number(process.env.ORT_INTRA_OP_THREADS ?? 1),
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
})
const features = info.features

createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', async () => {
    const row = JSON.parse(Buffer.concat(chunks).toString())
    const feeds = {}
    for (const f of features) {
      const v = row[f.name]
      feeds[f.name] =
        f.kind === 'numeric'
          ? new ort.Tensor('float32', Float32Array.of(v ?? NaN), [1, 1])
          : new ort.Tensor('string', [v ?? ''], [1, 1])
    }
    const out = await session.run(feeds)
    const p = out.probabilities.data
    const probabilities = Object.fromEntries(info.labels.map((l, i) => [l, p[i]]))
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ prediction: out.label.data[0], probabilities }))
  })
}).listen(Number(port), '127.0.0.1', () => console.log(`floor listening on ${port}`))
