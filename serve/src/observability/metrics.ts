import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256]

/** The metric names the chart, alert rules and dashboard rely on (see the serve README). */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const model = ['model', 'version'] as const
  const metrics = {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route pattern, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route pattern, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served',
      registers: [registry],
    }),
    inferenceDuration: new Histogram({
      name: 'model_inference_duration_seconds',
      help: 'Duration of one session.run (a whole batch)',
      labelNames: model,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inferences: new Counter({
      name: 'model_inference_total',
      help: 'session.run calls by outcome',
      labelNames: [...model, 'status'] as const,
      registers: [registry],
    }),
    predictions: new Counter({
      name: 'model_predictions_total',
      help: 'Predicted rows by predicted class',
      labelNames: [...model, 'class'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'model_batch_size',
      help: 'Rows per session.run',
      labelNames: model,
      buckets: BATCH_BUCKETS,
      registers: [registry],
    }),
    info: new Gauge({
      name: 'model_info',
      help: 'The model being served (always 1)',
      labelNames: [...model, 'digest'] as const,
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'model_ready',
      help: '1 when the model is loaded and warmed up',
      labelNames: model,
      registers: [registry],
    }),
    driftScore: new Gauge({
      name: 'model_feature_drift_score',
      help: 'Drift score of a feature over the recent window against reference.json',
      labelNames: [...model, 'feature', 'method'] as const,
      registers: [registry],
    }),
    driftThreshold: new Gauge({
      name: 'model_feature_drift_threshold',
      help: 'Score at which the feature counts as drifted',
      labelNames: [...model, 'feature', 'method'] as const,
      registers: [registry],
    }),
    featureDrifted: new Gauge({
      name: 'model_feature_drifted',
      help: '1 when the feature drifted over the recent window',
      labelNames: [...model, 'feature'] as const,
      registers: [registry],
    }),
    driftShare: new Gauge({
      name: 'model_drift_share',
      help: 'Share of features that drifted over the recent window',
      labelNames: model,
      registers: [registry],
    }),
    datasetDrift: new Gauge({
      name: 'model_dataset_drift',
      help: '1 when the drifted share reaches the dataset drift threshold',
      labelNames: model,
      registers: [registry],
    }),
    driftWindowRows: new Gauge({
      name: 'model_drift_window_rows',
      help: 'Rows in the live drift window',
      labelNames: model,
      registers: [registry],
    }),
    predictionLogLines: new Counter({
      name: 'prediction_log_lines_total',
      help: 'Prediction log lines written',
      registers: [registry],
    }),
    predictionLogDropped: new Counter({
      name: 'prediction_log_dropped_total',
      help: 'Prediction log lines dropped because the writer fell behind or failed',
      registers: [registry],
    }),
  }
  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
