import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net'
import type { ServeConfig } from './config.js'
import { createApp } from './http/app.js'
import { loadModel, type LoadedModel } from './model/load-model.js'
import { ModelService, type ModelHook } from './model/model-service.js'
import type { Logger } from './observability/json-log.js'
import { createMetrics, type Metrics } from './observability/metrics.js'
import { PredictionLog } from './observability/prediction-log.js'
import { attachLiveDrift } from './observability/live-drift.js'

export interface RunningServer {
  url: string
  port: number
  server: Server
  service: ModelService
  metrics: Metrics
  /** The model load + warm-up started with the server; readiness turns true when it resolves. */
  loaded: Promise<LoadedModel | undefined>
  reload(): Promise<LoadedModel>
  /** Graceful stop: readiness fails, listening stops, in-flight requests finish, then everything is released. */
  shutdown(): Promise<void>
}

export interface StartOptions {
  log: Logger
  /** Loads the model; defaults to MODEL_URI through loadModel. */
  load?: () => Promise<LoadedModel>
  /** Wires a loaded model to a per-row hook; defaults to the live drift window (live-drift.ts). */
  attach?: (model: LoadedModel, metrics: Metrics) => ModelHook | undefined
  onClosed?: () => Promise<void> | void
}

/**
 * Listens first and loads the model after, so liveness answers at once and readiness tells the truth while
 * the bundle downloads and warms up.
 */
export async function startServer(config: ServeConfig, options: StartOptions): Promise<RunningServer> {
  const { log } = options
  const metrics = createMetrics()
  const load = options.load ?? (() => loadModel(config))
  const attach = options.attach ?? ((model: LoadedModel) => attachLiveDrift(model, metrics, config, log))
  const service = new ModelService(config, metrics, log, load, (model) => attach(model, metrics))
  const predictionLog = config.predictionLogDir
    ? new PredictionLog({
        dir: config.predictionLogDir,
        sample: config.predictionLogSample,
        maxBytes: config.predictionLogMaxBytes,
        onWritten: (n) => metrics.predictionLogLines.inc(n),
        onDropped: (n) => metrics.predictionLogDropped.inc(n),
        onError: (error) =>
          log.warn('prediction log write failed; lines are dropped until it recovers', {
            error: error.message,
          }),
      })
    : undefined
  let shuttingDown = false
  const reload = () => service.reload()
  const app = createApp({
    config,
    service,
    metrics,
    log,
    predictionLog,
    isShuttingDown: () => shuttingDown,
    reload,
  })
  const server = createServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(20_000, config.requestTimeoutMs),
      keepAliveTimeout: 65_000,
    },
    app,
  )
  // Behind a load balancer with a 60 s idle timeout, the server must not close idle keep-alive sockets first.
  const connections = trackConnections(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  log.info('listening', { port, host: config.host })

  const loaded = service.start().then(
    (model) => {
      log.info('model ready', {
        model: model.name,
        version: model.version,
        digest: model.digest,
        uri: model.uri,
        features: model.schema.features.length,
        batch_max_size: config.batchMaxSize,
        batch_max_wait_ms: config.batchMaxWaitMs,
        intra_op_threads: config.intraOpThreads,
      })
      return model
    },
    (error: Error) => {
      // Stay up and not ready: the readiness probe and the log say why, and the pod is not restarted in a loop.
      log.error('model failed to load', { uri: config.modelUri, error: error.message })
      return undefined
    },
  )

  let stopping: Promise<void> | undefined
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      service.startDraining()
      log.info('shutting down', { delay_ms: config.shutdownDelayMs })
      // Give endpoints controllers time to take the pod out of rotation while it still answers as before
      // (keep-alive included: asking clients to reconnect now would only fill the accept queue that closing
      // the listener resets).
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs))
      // Stop accepting connections without http.Server.close()'s closing of idle keep-alive sockets, which can
      // race a request already on its way; each open connection gets Connection: close on its next response.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()))
      shuttingDown = true
      await drainConnections(connections)
      await closed
      await predictionLog?.close()
      await service.close()
      await options.onClosed?.()
      log.info('stopped')
    })()
    return stopping
  }

  return { url: `http://${host}:${port}`, port, server, service, metrics, loaded, reload, shutdown }
}

/** Per-socket request state, for a shutdown that never cuts a request short. */
interface ConnectionState {
  active: number
  idleSince: number
}

/**
 * Tracks open connections and whether each is serving a request. Closing an idle keep-alive connection races a
 * client that is sending on it right then (it sees a reset), so a drain lets busy connections finish (their
 * responses carry Connection: close) and closes idle ones only after they stayed idle for a while.
 */
function trackConnections(server: Server): Map<Socket, ConnectionState> {
  const connections = new Map<Socket, ConnectionState>()
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { active: 0, idleSince: performance.now() })
    socket.once('close', () => connections.delete(socket))
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = connections.get(req.socket)
    if (!state) return
    state.active++
    res.once('close', () => {
      state.active--
      state.idleSince = performance.now()
    })
  })
  return connections
}

async function drainConnections(
  connections: Map<Socket, ConnectionState>,
  idleGraceMs = 1000,
  deadlineMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + deadlineMs
  while (connections.size > 0) {
    const now = performance.now()
    for (const [socket, state] of connections) {
      if (now > deadline || (state.active === 0 && now - state.idleSince >= idleGraceMs)) socket.destroy()
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}
