import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import express, { type NextFunction, type Request, type Response } from 'express'
import type { ServeConfig } from '../config.js'
import { imageToRow } from '../image/decode-image.js'
import { NotReadyError, type ModelService } from '../model/model-service.js'
import type { RowValues } from '../model/model-schema.js'
import type { Logger } from '../observability/json-log.js'
import type { Metrics } from '../observability/metrics.js'
import type { PredictionLog } from '../observability/prediction-log.js'
import { rowsFromCsv } from '../protocols/csv-rows.js'
import { InputError } from '../protocols/input-error.js'
import { invocationResponse, rowsFromInvocation } from '../protocols/mlflow-scoring.js'
import { inferResponse, modelMetadata, parseInferRequest } from '../protocols/open-inference.js'
import { rowsFromPredictBody, simplePrediction } from '../protocols/simple-predict.js'
import { readUploadedFile } from './multipart-image.js'
import { mediaType, parseJson, readBody } from './read-body.js'

export const SERVER_NAME = 'mlops-serve'
export const SERVER_VERSION = '0.1.0'

type Protocol = 'mlflow' | 'v2' | 'rest'

interface AppContext {
  config: ServeConfig
  service: ModelService
  metrics: Metrics
  log: Logger
  predictionLog: PredictionLog | undefined
  /** True once SIGTERM arrived: every response asks the client to close its connection. */
  isShuttingDown: () => boolean
  reload: () => Promise<unknown>
}

const REQUEST_ID = /^[\w.:-]{1,128}$/

/** Constant-time comparison of the admin token (hashes first: timingSafeEqual needs equal lengths). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

function requestId(req: Request): string {
  return (req as Request & { id: string }).id
}

/** MLflow clients read {error_code, message}; OIP and /predict clients read {error}. */
function sendError(res: Response, protocol: Protocol, status: number, message: string): void {
  const code = status === 413 ? 'RESOURCE_EXHAUSTED' : status === 503 ? 'SERVICE_UNAVAILABLE' : 'BAD_REQUEST'
  res.status(status).json(protocol === 'mlflow' ? { error_code: code, message } : { error: message })
}

export function createApp(context: AppContext): express.Express {
  const { config, service, metrics, log, predictionLog } = context
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.set('query parser', false)

  // Label children cached per (route, method, status): prom-client would otherwise hash the labels per request.
  const series = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>()
  const httpSeries = (route: string, method: string, status: number) => {
    const key = `${route} ${method} ${status}`
    let found = series.get(key)
    if (!found) {
      const labels = { route, method, status: String(status) }
      found = { count: metrics.httpRequests.labels(labels), duration: metrics.httpDuration.labels(labels) }
      series.set(key, found)
    }
    return found
  }

  // Request id, in-flight gauge, route-labelled counters and latency, Connection: close while shutting down.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id']
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    ;(req as Request & { id: string }).id = id
    res.setHeader('x-request-id', id)
    if (context.isShuttingDown()) res.setHeader('connection', 'close')
    const start = process.hrtime.bigint()
    metrics.inFlight.inc()
    let recorded = false
    const record = (): void => {
      if (recorded) return
      recorded = true
      metrics.inFlight.dec()
      const route = req.route ? String(req.route.path) : 'unmatched'
      const series = httpSeries(route, req.method, res.statusCode)
      series.count.inc()
      series.duration.observe(Number(process.hrtime.bigint() - start) / 1e9)
    }
    res.on('finish', record)
    res.on('close', record)
    next()
  })

  const modelOrThrow = () => {
    const model = service.current
    if (!service.ready || !model) throw new NotReadyError()
    return model
  }

  const answer = async (
    req: Request,
    rows: RowValues[],
  ): Promise<Awaited<ReturnType<ModelService['predict']>> & { latencyMs: number }> => {
    const start = performance.now()
    const result = await service.predict(rows)
    const latencyMs = performance.now() - start
    predictionLog?.record({
      ts: Date.now(),
      requestId: requestId(req),
      model: { name: result.model.name, version: result.model.version },
      schema: result.model.schema,
      rows,
      slice: result.slice,
      latencyMs,
    })
    return { ...result, latencyMs }
  }

  const jsonBody = async (req: Request): Promise<unknown> => {
    const type = mediaType(req)
    if (type !== 'application/json') {
      throw new InputError(`Content-Type must be application/json, got '${type || 'none'}'`, 415)
    }
    return parseJson(await readBody(req, config.maxBodyBytes))
  }

  // ---- health
  const live = (_req: Request, res: Response) => void res.json({ live: true })
  app.get('/v2/health/live', live)
  app.get('/healthz', live)
  app.get('/v2/health/ready', (_req, res) => {
    res.status(service.readyForTraffic ? 200 : 503).json({ ready: service.readyForTraffic })
  })
  const mlflowHealth = (_req: Request, res: Response) => {
    if (service.readyForTraffic) res.type('text/plain').send('\n')
    else sendError(res, 'mlflow', 503, 'the model is not ready')
  }
  app.get('/ping', mlflowHealth)
  app.get('/health', mlflowHealth)
  app.get('/version', (_req, res) => {
    const model = service.current
    res.json({
      model: model
        ? { name: model.name, version: model.version, digest: model.digest, uri: model.uri }
        : null,
      server: { name: SERVER_NAME, version: SERVER_VERSION },
      ready: service.readyForTraffic,
    })
  })
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })

  // ---- MLflow scoring protocol
  app.post('/invocations', async (req, res) => {
    const model = modelOrThrow()
    const type = mediaType(req)
    let rows: RowValues[]
    if (type === 'application/json') {
      rows = rowsFromInvocation(
        model.schema,
        parseJson(await readBody(req, config.maxBodyBytes)),
        config.maxRows,
      )
    } else if (type === 'text/csv') {
      rows = rowsFromCsv(
        model.schema,
        (await readBody(req, config.maxBodyBytes)).toString('utf8'),
        config.maxRows,
      )
    } else {
      throw new InputError(`Content-Type must be application/json or text/csv, got '${type || 'none'}'`, 415)
    }
    const { slice } = await answer(req, rows)
    res.json(invocationResponse(slice))
  })

  // ---- Open Inference Protocol v2
  app.get('/v2', (_req, res) => {
    res.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] })
  })
  const checkModel = (req: Request) => {
    const model = modelOrThrow()
    const { model: name, version } = req.params as { model: string; version?: string }
    if (name !== model.name)
      throw new InputError(`model '${name}' is not served here; this server serves '${model.name}'`, 404)
    if (version !== undefined && version !== model.version) {
      throw new InputError(
        `model '${name}' has no version '${version}' here; serving version ${model.version}`,
        404,
      )
    }
    return model
  }
  const metadata = (req: Request, res: Response) => void res.json(modelMetadata(checkModel(req)))
  app.get('/v2/models/:model', metadata)
  app.get('/v2/models/:model/versions/:version', metadata)
  const modelReady = (req: Request, res: Response) => {
    const model = service.current
    const { model: name, version } = req.params as { model: string; version?: string }
    if (model && (name !== model.name || (version !== undefined && version !== model.version))) {
      res
        .status(404)
        .json({ error: `model '${name}' is not served here; this server serves '${model.name}'` })
      return
    }
    res.status(service.readyForTraffic ? 200 : 503).json({ name, ready: service.readyForTraffic })
  }
  app.get('/v2/models/:model/ready', modelReady)
  app.get('/v2/models/:model/versions/:version/ready', modelReady)
  const infer = async (req: Request, res: Response) => {
    const model = checkModel(req)
    const request = parseInferRequest(model.schema, await jsonBody(req), config.maxRows)
    const result = await answer(req, request.rows)
    res.json(inferResponse(result.model, request, requestId(req), result.slice))
  }
  app.post('/v2/models/:model/infer', infer)
  app.post('/v2/models/:model/versions/:version/infer', infer)

  // ---- simple REST
  app.post('/predict', async (req, res) => {
    const model = modelOrThrow()
    const type = mediaType(req)
    let parsed: { rows: RowValues[]; single: boolean }
    if (type === 'multipart/form-data') {
      if (!model.schema.image) {
        throw new InputError(
          `this model takes rows of ${model.schema.features.length} columns, not images; send JSON`,
          415,
        )
      }
      parsed = {
        rows: [imageToRow(await readUploadedFile(req, config.maxBodyBytes), model.schema.image)],
        single: true,
      }
    } else if (type === 'application/json') {
      parsed = rowsFromPredictBody(
        model.schema,
        parseJson(await readBody(req, config.maxBodyBytes)),
        config.maxRows,
      )
    } else {
      const accepted = model.schema.image ? 'application/json or multipart/form-data' : 'application/json'
      throw new InputError(`Content-Type must be ${accepted}, got '${type || 'none'}'`, 415)
    }
    const { model: answered, slice } = await answer(req, parsed.rows)
    const about = { name: answered.name, version: answered.version }
    if (parsed.single) {
      res.json({ ...simplePrediction(answered.schema, slice, 0), model: about })
    } else {
      const predictions = new Array(slice.count)
      for (let i = 0; i < slice.count; i++) predictions[i] = simplePrediction(answered.schema, slice, i)
      res.json({ predictions, model: about })
    }
  })

  // ---- admin: hot reload (disabled unless ADMIN_TOKEN is set; SIGHUP works either way)
  app.post('/admin/reload', async (req, res) => {
    if (!config.adminToken) {
      res.status(404).json({ error: 'the admin endpoint is disabled: set ADMIN_TOKEN to enable it' })
      return
    }
    if (!sameSecret(req.headers.authorization ?? '', `Bearer ${config.adminToken}`)) {
      res.status(401).json({ error: 'missing or wrong bearer token' })
      return
    }
    try {
      await context.reload()
    } catch (error) {
      res
        .status(500)
        .json({ error: `reload failed, the previous model keeps serving: ${(error as Error).message}` })
      return
    }
    const model = service.current!
    res.json({ model: { name: model.name, version: model.version, digest: model.digest } })
  })

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path.slice(0, 100)}` })
  })

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const protocol: Protocol =
      req.path === '/invocations' ? 'mlflow' : req.path.startsWith('/v2') ? 'v2' : 'rest'
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (error instanceof InputError) return sendError(res, protocol, error.status, error.message)
    if (error instanceof NotReadyError) return sendError(res, protocol, 503, error.message)
    // Express' own parsers are not used, but a malformed URL still reaches here as a 400 from the router.
    const status = (error as { status?: number }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(res, protocol, status, (error as Error).message)
    }
    log.error('request failed', {
      request_id: requestId(req),
      path: req.path,
      error: (error as Error)?.stack,
    })
    sendError(res, protocol, 500, `internal error (request id ${requestId(req)})`)
  })
  return app
}
