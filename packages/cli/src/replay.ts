import { openTable } from '@mlops/data'
import { UsageError } from './input-env.js'

export interface ReplayOptions {
  /** Base URL of a running serve. */
  url: string
  file: string
  /** Most rows to send; default all. */
  rows?: number
  /** Rows per request. */
  batch?: number
  /** Wait until the server's prediction log holds every row sent (it must keep one: PREDICTION_LOG_DIR). */
  waitForLog?: boolean
  logTimeoutMs?: number
}

interface ModelInput {
  name: string
  datatype: string
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url).catch((error: unknown) => {
    throw new UsageError(`cannot reach ${url}: ${(error as Error).message}`)
  })
  if (!response.ok) throw new UsageError(`${url} answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as T
}

/**
 * Sends a dataset's rows to a running server as MLflow `dataframe_split` requests, only the columns the model
 * takes (asked from the server's Open Inference Protocol metadata), so they land in its prediction log and live
 * drift gauges as production traffic would. Returns how many rows were sent.
 */
export async function replayRows(options: ReplayOptions): Promise<number> {
  const { model } = await getJson<{ model: { name: string } }>(`${options.url}/version`)
  const metadata = await getJson<{ inputs: ModelInput[] }>(
    `${options.url}/v2/models/${encodeURIComponent(model.name)}`,
  )
  const loggedBefore = options.waitForLog ? await loggedLines(options.url) : undefined
  const reader = await openTable(options.file)
  const index = metadata.inputs.map((input) => {
    const at = reader.columns.indexOf(input.name)
    if (at < 0)
      throw new UsageError(`${options.file} has no column '${input.name}', an input of ${model.name}`)
    return at
  })
  const numeric = metadata.inputs.map((input) => input.datatype !== 'BYTES')
  const limit = options.rows ?? Infinity
  const size = options.batch ?? 100
  let sent = 0
  let data: unknown[][] = []
  const flush = async () => {
    if (data.length === 0) return
    const response = await fetch(`${options.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: metadata.inputs.map((i) => i.name), data } }),
    })
    if (!response.ok)
      throw new UsageError(`${options.url}/invocations answered ${response.status}: ${await response.text()}`)
    sent += data.length
    data = []
  }
  for await (const record of reader.records()) {
    if (sent + data.length >= limit) break
    data.push(
      index.map((at, i) => {
        const cell = record.values[at]
        if (cell === null || cell === undefined || cell === '') return null
        return numeric[i] ? Number(cell) : String(cell)
      }),
    )
    if (data.length >= size) await flush()
  }
  await flush()
  // The server writes its prediction log on a timer, off the request path: wait until what was sent is on disk
  // (written or counted as dropped), so whatever reads the log next sees all of it.
  if (loggedBefore !== undefined) {
    const deadline = Date.now() + (options.logTimeoutMs ?? 15_000)
    while ((await loggedLines(options.url)) < loggedBefore + sent) {
      if (Date.now() > deadline)
        throw new UsageError(
          `${options.url} did not write ${sent} rows to its prediction log in time (is PREDICTION_LOG_DIR set?)`,
        )
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return sent
}

/** Lines the server's prediction log has written or dropped, from /metrics. */
async function loggedLines(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const value = (name: string) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)
    return match ? Number(match[1]) : undefined
  }
  return (value('prediction_log_lines_total') ?? 0) + (value('prediction_log_dropped_total') ?? 0)
}
