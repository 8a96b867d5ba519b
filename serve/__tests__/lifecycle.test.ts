import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Json } from './start-test-server.js'
import { tabularBundle } from './test-bundle.js'

/**
 * The container's process as it ships (serve/build.mjs --runtime-deps, what the Dockerfile copies to /app), with
 * real signals
 * under sustained load from 16 concurrent clients.
 */
const serveDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const ROW = JSON.stringify({ age: 63, bmi: 31.2, visits: 3, ward: 'cardio', insulin: 'yes' })

let dist: string
let bundle: string
let other: string

beforeAll(async () => {
  // The image's /app: the bundle with its own onnxruntime-node, outside the workspace so nothing else resolves.
  dist = await mkdtemp(join(tmpdir(), 'serve-app-'))
  await promisify(execFile)(process.execPath, [
    join(serveDir, 'build.mjs'),
    '--outdir',
    dist,
    '--runtime-deps',
  ])
  bundle = await tabularBundle()
  other = await tabularBundle({ reference: false, seed: 12 })
}, 60_000)

afterAll(async () => {
  for (const dir of [dist, bundle, other]) if (dir) await rm(dir, { recursive: true, force: true })
})

interface Server {
  child: ChildProcess
  url: string
  exited: Promise<number | null>
  logs: string[]
}

async function startServerProcess(env: Record<string, string>): Promise<Server> {
  // As serve/Dockerfile's ENTRYPOINT runs it.
  const child = spawn(process.execPath, ['--max-semi-space-size=16', join(dist, 'server.mjs')], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', ORT_INTRA_OP_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const logs: string[] = []
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      let newline
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        logs.push(line)
        const entry = JSON.parse(line)
        if (entry.msg === 'listening') resolve(`http://127.0.0.1:${entry.port}`)
      }
    })
    void exited.then((code) => reject(new Error(`server exited with ${code}`)))
  })
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.status,
      () => 0,
    )
    if (ready === 200) return { child, url, exited, logs }
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`server never became ready: ${logs.join('\n')}`)
}

interface Outcome {
  sentAt: number
  status: number
  /** The network error's code when there was no answer (ECONNREFUSED once the listener has closed). */
  error?: string
}

/** 16 clients sending /predict requests back to back until `stop()` says so. */
function sustainedLoad(url: string, stop: () => boolean, body = ROW): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  const client = async () => {
    while (!stop()) {
      const sentAt = performance.now()
      try {
        const res = await fetch(`${url}/predict`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        })
        await res.json()
        outcomes.push({ sentAt, status: res.status })
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause
        outcomes.push({ sentAt, status: 0, error: cause?.code ?? String(error) })
        await new Promise((r) => setTimeout(r, 5))
      }
    }
  }
  return Promise.all(Array.from({ length: 16 }, client)).then(() => outcomes)
}

test('SIGTERM under sustained load: every accepted request gets a 2xx, then a clean exit', async () => {
  const server = await startServerProcess({ MODEL_URI: bundle, SHUTDOWN_DELAY_MS: '300' })
  // 100-row requests take a few milliseconds each, so requests are in flight at every moment of the shutdown.
  const body = JSON.stringify(Array.from({ length: 100 }, () => JSON.parse(ROW)))
  let stopAt = Infinity
  const load = sustainedLoad(server.url, () => performance.now() > stopAt, body)
  await new Promise((r) => setTimeout(r, 1500))
  const signalAt = performance.now()
  server.child.kill('SIGTERM')
  const code = await server.exited
  stopAt = performance.now() + 300
  const outcomes = await load
  const before = outcomes.filter((o) => o.sentAt < signalAt)
  const after = outcomes.filter((o) => o.sentAt >= signalAt)
  expect(before.length).toBeGreaterThan(50)
  expect(before.filter((o) => o.status !== 200)).toEqual([])
  // While draining, requests are still answered; once the listener is closed, new connections are refused.
  // Never a reset connection, a 5xx or a 503 for a request the server had accepted.
  expect(after.filter((o) => o.status === 200).length).toBeGreaterThan(0)
  expect(after.filter((o) => o.status !== 200 && o.error !== 'ECONNREFUSED')).toEqual([])
  expect(code).toBe(0)
  expect(server.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
})

test('hot reload under load (SIGHUP and POST /admin/reload) drops no request', async () => {
  const live = await mkdtemp(join(tmpdir(), 'serve-live-bundle-'))
  await cp(bundle, live, { recursive: true })
  const server = await startServerProcess({ MODEL_URI: live, ADMIN_TOKEN: 'test-token', MODEL_VERSION: '1' })
  let stop = false
  try {
    const digest = async () =>
      ((await (await fetch(`${server.url}/version`)).json()) as Json).model.digest as string
    const first = await digest()
    const load = sustainedLoad(server.url, () => stop)
    await new Promise((r) => setTimeout(r, 500))
    // A new model arrives in the folder; SIGHUP swaps it in.
    await cp(other, live, { recursive: true })
    server.child.kill('SIGHUP')
    let second = first
    for (let i = 0; i < 100 && second === first; i++) {
      await new Promise((r) => setTimeout(r, 50))
      second = await digest()
    }
    expect(second).not.toBe(first)
    // And back, through the admin endpoint.
    await cp(bundle, live, { recursive: true })
    const unauthorized = await fetch(`${server.url}/admin/reload`, { method: 'POST' })
    expect(unauthorized.status).toBe(401)
    const reloaded = await fetch(`${server.url}/admin/reload`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token' },
    })
    expect(reloaded.status).toBe(200)
    expect(((await reloaded.json()) as Json).model.digest).toBe(first)
    await new Promise((r) => setTimeout(r, 300))
    stop = true
    const outcomes = await load
    expect(outcomes.length).toBeGreaterThan(100)
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([])
    expect(server.logs.filter((l) => l.includes('"msg":"model reloaded"'))).toHaveLength(2)
  } finally {
    stop = true
    server.child.kill('SIGTERM')
    await server.exited
    await rm(live, { recursive: true, force: true })
  }
})
