import { readConfig } from '../src/config.js'
import { silentLogger } from '../src/observability/json-log.js'
import { startServer, type RunningServer, type StartOptions } from '../src/server.js'

/** A JSON answer whose shape the test asserts field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any

/** The real server on 127.0.0.1 with a port of its own, configured through the same variables as production. */
export async function startTestServer(
  env: Record<string, string>,
  options: Partial<StartOptions> = {},
): Promise<RunningServer> {
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', ORT_INTRA_OP_THREADS: '1', ...env })
  const running = await startServer(config, { log: silentLogger, ...options })
  await running.loaded
  return running
}

export async function post(
  url: string,
  body: string | Uint8Array | FormData,
  contentType?: string,
): Promise<{ status: number; json: Json; text: string; headers: Headers }> {
  const headers: Record<string, string> = {}
  if (contentType) headers['content-type'] = contentType
  const response = await fetch(url, { method: 'POST', body, headers })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, json, text, headers: response.headers }
}

export async function get(url: string): Promise<{ status: number; json: Json; text: string }> {
  const response = await fetch(url)
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, json, text }
}
