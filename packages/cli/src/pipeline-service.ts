import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { UsageError } from './input-env.js'

export interface RunningService {
  url: string
  pid: number
  stop(): Promise<void>
}

export interface StartServiceOptions {
  command: string[]
  cwd: string
  env: Record<string, string | undefined>
  readyPath: string
  timeoutMs: number
  logFile: string
  /** Replaceable for tests. */
  sleep?: (ms: number) => Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}

async function lastLines(file: string, count: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.trimEnd().split('\n').slice(-count).join('\n')
}

/**
 * Starts a long-running process on a free port and resolves once its ready path answers 2xx, so the stages after
 * it (a smoke test) talk to something that is really up. Dying or never getting ready is an error that carries
 * the process' last log lines: that is where the reason is.
 */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const port = await freePort()
  const log = createWriteStream(options.logFile)
  const [program, ...args] = options.command
  const child = spawn(program!, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.pipe(log, { end: false })
  child.stderr.pipe(log, { end: false })
  let exited: number | null | undefined
  const exit = new Promise<void>((resolveExit) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? -1 : 0)
      resolveExit()
    }),
  )
  child.once('error', () => (exited = -1))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exit
      clearTimeout(killer)
    }
    await new Promise<void>((r) => log.end(r))
  }
  const deadline = Date.now() + options.timeoutMs
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      await stop()
      throw new UsageError(
        `${options.command.join(' ')} exited (${exited}) before it was ready; its last lines:\n${await lastLines(options.logFile, 15)}`,
      )
    }
    const ok = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return { url, pid: child.pid!, stop }
    await sleep(200)
  }
  await stop()
  throw new UsageError(
    `${options.command.join(' ')} was not ready at ${options.readyPath} within ${options.timeoutMs / 1000} s; its last lines:\n${await lastLines(options.logFile, 15)}`,
  )
}

/** Runs a command line with sh and returns its exit code and interleaved output. */
export function runShell(
  command: string,
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn('sh', ['-c', command], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const chunks: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.stderr.on('data', (c: Buffer) => chunks.push(c))
    child.once('error', (error) => resolveRun({ code: 127, output: String(error) }))
    child.once('close', (code) =>
      resolveRun({ code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') }),
    )
  })
}
