import type { GoldenCase } from './golden.js'

export interface SmokeOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 (no trailing path). */
  baseUrl: string
  readyTimeoutMs: number
  requestTimeoutMs: number
  /** The model version that must be served (from /version and from every prediction response). */
  expectedVersion?: string
  expectedModel?: string
  golden: GoldenCase[]
  predictPath: string
  /** Sent to predictPath; must get a 4xx. */
  invalidPayload: unknown
  latency: { requests: number; p95BudgetMs: number }
  /** Series names that /metrics must expose. */
  metricsSeries: string[]
}

export interface CheckResult {
  name: string
  ok: boolean
  detail: string
}

export interface LatencyStats {
  requests: number
  errors: number
  p50Ms: number
  p95Ms: number
  maxMs: number
  budgetMs: number
}

export interface SmokeReport {
  passed: boolean
  checks: CheckResult[]
  /** One line per failed check. */
  failures: string[]
  servedVersion?: string
  latency?: LatencyStats
  readyAfterMs?: number
}

export const DEFAULT_METRICS_SERIES = [
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'model_inference_total',
  'model_inference_duration_seconds_bucket',
  'model_predictions_total',
  'model_info',
  'model_ready',
]

interface HttpResult {
  status: number
  text: string
  json: unknown
  ms: number
}

async function request(url: string, timeoutMs: number, body?: unknown): Promise<HttpResult> {
  const started = performance.now()
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    signal: AbortSignal.timeout(timeoutMs),
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  const text = await response.text()
  const ms = performance.now() - started
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, text, json, ms }
}

function describeError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error)
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return one.length > 160 ? `${one.slice(0, 160)}…` : one
}

/** Nearest-rank percentile of a sample (the value at or above p% of the requests). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

interface Prediction {
  prediction: string
  probabilities: Record<string, number>
  model?: { name?: string; version?: string }
}

/** Problems with a /predict answer's shape, empty when it is right. */
export function predictionShapeProblems(body: unknown): string[] {
  const problems: string[] = []
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return ['the response is not a JSON object']
  const b = body as Record<string, unknown>
  if (typeof b.prediction !== 'string') problems.push('"prediction" is not a string')
  const probs = b.probabilities
  if (probs === null || typeof probs !== 'object' || Array.isArray(probs)) {
    problems.push('"probabilities" is not an object')
  } else {
    const values = Object.values(probs as Record<string, unknown>)
    if (values.length === 0 || !values.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
      problems.push('"probabilities" must map each class to a number in [0, 1]')
    } else {
      const sum = (values as number[]).reduce((a, v) => a + v, 0)
      if (Math.abs(sum - 1) > 1e-3) problems.push(`"probabilities" sum to ${sum.toFixed(4)}, not 1`)
    }
  }
  const model = b.model as Record<string, unknown> | undefined
  if (!model || typeof model.version !== 'string') problems.push('"model.version" is missing')
  return problems
}

async function waitUntilReady(o: SmokeOptions): Promise<{ check: CheckResult; afterMs?: number }> {
  const started = Date.now()
  let last = 'no answer yet'
  for (;;) {
    try {
      const r = await request(`${o.baseUrl}/v2/health/ready`, Math.min(o.requestTimeoutMs, 5000))
      if (r.status === 200) {
        const afterMs = Date.now() - started
        return {
          check: { name: 'ready', ok: true, detail: `ready after ${(afterMs / 1000).toFixed(1)} s` },
          afterMs,
        }
      }
      last = `HTTP ${r.status} ${snippet(r.text)}`
    } catch (error) {
      last = describeError(error, o.requestTimeoutMs)
    }
    if (Date.now() - started >= o.readyTimeoutMs) {
      return {
        check: {
          name: 'ready',
          ok: false,
          detail: `not ready within ${Math.round(o.readyTimeoutMs / 1000)} s (last: ${last})`,
        },
      }
    }
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(50, o.readyTimeoutMs / 20))))
  }
}

async function check(name: string, o: SmokeOptions, fn: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await fn() }
  } catch (error) {
    const message = error instanceof CheckFailure ? error.message : describeError(error, o.requestTimeoutMs)
    return { name, ok: false, detail: message }
  }
}

class CheckFailure extends Error {}
const fail = (message: string): never => {
  throw new CheckFailure(message)
}

function compareGolden(c: GoldenCase, got: Prediction, expectedVersion?: string): string[] {
  const problems: string[] = []
  if (expectedVersion !== undefined && got.model?.version !== expectedVersion) {
    problems.push(`answered by model version ${got.model?.version ?? '(none)'}, expected ${expectedVersion}`)
  }
  if (c.expected?.prediction !== undefined && got.prediction !== c.expected.prediction) {
    problems.push(`prediction '${got.prediction}', expected '${c.expected.prediction}'`)
  }
  for (const [label, want] of Object.entries(c.expected?.probabilities ?? {})) {
    const have = got.probabilities[label]
    if (have === undefined) problems.push(`no probability for class '${label}'`)
    else if (Math.abs(have - want) > c.tolerance) {
      problems.push(`P(${label}) = ${have.toFixed(6)}, expected ${want} ± ${c.tolerance}`)
    }
  }
  return problems
}

/**
 * Every check runs, whatever failed before it, so the report lists each reason at once: readiness,
 * /health, /version, golden predictions (shape, served version, expected outputs), invalid input -> 4xx,
 * /metrics series, and p95 latency over N requests.
 */
export async function runSmokeTest(o: SmokeOptions): Promise<SmokeReport> {
  const report: SmokeReport = { passed: false, checks: [], failures: [] }
  const ready = await waitUntilReady(o)
  report.checks.push(ready.check)
  if (ready.afterMs !== undefined) report.readyAfterMs = ready.afterMs
  const t = o.requestTimeoutMs

  report.checks.push(
    await check('health', o, async () => {
      const r = await request(`${o.baseUrl}/health`, t)
      if (r.status !== 200) fail(`GET /health: HTTP ${r.status} ${snippet(r.text)}`)
      return `GET /health: 200 in ${r.ms.toFixed(0)} ms`
    }),
  )

  report.checks.push(
    await check('version', o, async () => {
      const r = await request(`${o.baseUrl}/version`, t)
      if (r.status !== 200) fail(`GET /version: HTTP ${r.status} ${snippet(r.text)}`)
      const model = (r.json as { model?: { name?: unknown; version?: unknown } } | undefined)?.model
      if (!model || typeof model.version !== 'string')
        fail(`GET /version has no model.version: ${snippet(r.text)}`)
      const served = String(model!.version)
      report.servedVersion = served
      const problems: string[] = []
      if (o.expectedVersion !== undefined && served !== o.expectedVersion) {
        problems.push(`serves model version ${served}, expected ${o.expectedVersion}`)
      }
      if (o.expectedModel !== undefined && model!.name !== o.expectedModel) {
        problems.push(`serves model '${String(model!.name)}', expected '${o.expectedModel}'`)
      }
      if (problems.length > 0) fail(problems.join('; '))
      return `serves ${String(model!.name)} version ${served}`
    }),
  )

  for (const c of o.golden) {
    report.checks.push(
      await check(`golden: ${c.name}`, o, async () => {
        const r = await request(`${o.baseUrl}${o.predictPath}`, t, c.input)
        if (r.status !== 200) fail(`POST ${o.predictPath}: HTTP ${r.status} ${snippet(r.text)}`)
        const shape = predictionShapeProblems(r.json)
        if (shape.length > 0) fail(`response shape: ${shape.join('; ')}: ${snippet(r.text)}`)
        const got = r.json as Prediction
        const problems = compareGolden(c, got, o.expectedVersion)
        if (problems.length > 0) fail(problems.join('; '))
        return `'${got.prediction}' (${Object.entries(got.probabilities)
          .map(([k, v]) => `${k} ${v.toFixed(4)}`)
          .join(', ')}) from version ${got.model?.version}`
      }),
    )
  }

  report.checks.push(
    await check('invalid input', o, async () => {
      const r = await request(`${o.baseUrl}${o.predictPath}`, t, o.invalidPayload)
      if (r.status < 400 || r.status > 499) {
        fail(`an invalid payload got HTTP ${r.status}, expected a 4xx: ${snippet(r.text)}`)
      }
      return `HTTP ${r.status}: ${snippet(r.text)}`
    }),
  )

  report.checks.push(
    await check('metrics', o, async () => {
      const r = await request(`${o.baseUrl}/metrics`, t)
      if (r.status !== 200) fail(`GET /metrics: HTTP ${r.status}`)
      const names = new Set(
        r.text
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith('#'))
          .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? ''),
      )
      const missing = o.metricsSeries.filter((s) => !names.has(s))
      const problems = missing.length > 0 ? [`/metrics lacks ${missing.join(', ')}`] : []
      if (o.expectedVersion !== undefined && o.metricsSeries.includes('model_info')) {
        const info = r.text.split('\n').find((l) => l.startsWith('model_info{'))
        if (info && !info.includes(`version="${o.expectedVersion}"`)) {
          problems.push(`model_info is for another version: ${info}`)
        }
      }
      if (problems.length > 0) fail(problems.join('; '))
      return `${o.metricsSeries.length} series present`
    }),
  )

  if (o.latency.requests > 0 && o.golden.length > 0) {
    const times: number[] = []
    let errors = 0
    let lastError = ''
    for (let i = 0; i < o.latency.requests; i++) {
      const c = o.golden[i % o.golden.length]!
      try {
        const r = await request(`${o.baseUrl}${o.predictPath}`, t, c.input)
        times.push(r.ms)
        if (r.status !== 200) {
          errors++
          lastError = `HTTP ${r.status}`
        }
      } catch (error) {
        errors++
        times.push(t)
        lastError = describeError(error, t)
      }
    }
    const stats: LatencyStats = {
      requests: o.latency.requests,
      errors,
      p50Ms: percentile(times, 50),
      p95Ms: percentile(times, 95),
      maxMs: Math.max(...times),
      budgetMs: o.latency.p95BudgetMs,
    }
    report.latency = stats
    const summary = `p95 ${stats.p95Ms.toFixed(1)} ms (p50 ${stats.p50Ms.toFixed(1)}, max ${stats.maxMs.toFixed(1)}) over ${stats.requests} requests`
    const problems: string[] = []
    if (stats.p95Ms > stats.budgetMs) problems.push(`${summary} exceeds the ${stats.budgetMs} ms budget`)
    if (errors > 0) problems.push(`${errors} of ${stats.requests} requests failed (last: ${lastError})`)
    report.checks.push({ name: 'latency', ok: problems.length === 0, detail: problems.join('; ') || summary })
  }

  report.failures = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)
  report.passed = report.failures.length === 0
  return report
}
