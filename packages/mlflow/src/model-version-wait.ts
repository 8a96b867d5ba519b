import { DEADLINE_EXCEEDED, MlflowError, MODEL_REGISTRATION_FAILED } from './errors.js'
import type { ModelVersion } from './types.js'

export interface PollOptions {
  timeoutMs: number
  /** First wait between polls; doubles up to maxIntervalMs. */
  intervalMs: number
  maxIntervalMs: number
  sleep: (ms: number) => Promise<void>
  now: () => number
}

/**
 * Registration can be asynchronous (the server copies or validates the files): poll until READY.
 * FAILED_REGISTRATION is final; running out of time is an error that says the version may still finish.
 */
export async function waitUntilReady(
  get: () => Promise<ModelVersion>,
  first: ModelVersion | undefined,
  options: PollOptions,
): Promise<ModelVersion> {
  const deadline = options.now() + options.timeoutMs
  let version = first ?? (await get())
  let interval = options.intervalMs
  for (;;) {
    if (version.status === 'READY') return version
    if (version.status === 'FAILED_REGISTRATION') {
      throw new MlflowError(
        `Registering version ${version.version} of model '${version.name}' failed` +
          `${version.statusMessage ? `: ${version.statusMessage}` : ''}. Check that its source ` +
          `(${version.source}) exists and is readable by the MLflow server.`,
        { errorCode: MODEL_REGISTRATION_FAILED, serverMessage: version.statusMessage },
      )
    }
    const left = deadline - options.now()
    if (left <= 0) {
      throw new MlflowError(
        `Version ${version.version} of model '${version.name}' is still ${version.status} after ` +
          `${Math.round(options.timeoutMs / 1000)} s. It may yet become READY: check it in the MLflow UI, or ` +
          'allow more time.',
        { errorCode: DEADLINE_EXCEEDED },
      )
    }
    await options.sleep(Math.min(interval, left))
    interval = Math.min(options.maxIntervalMs, interval * 2)
    version = await get()
  }
}
