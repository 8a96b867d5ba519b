import { readConfig, ServeConfigError } from './config.js'
import { createLogger } from './observability/json-log.js'
import { startServer } from './server.js'

/** The container's entry point: configuration from the environment, signals for shutdown and reload. */
async function main(): Promise<void> {
  let config
  try {
    config = readConfig(process.env)
  } catch (error) {
    if (error instanceof ServeConfigError) {
      process.stderr.write(JSON.stringify({ level: 'error', msg: error.message }) + '\n')
      process.exit(2)
    }
    throw error
  }
  const log = createLogger(config.logLevel)
  const running = await startServer(config, { log })
  process.on('SIGTERM', () => void running.shutdown().then(() => process.exit(0)))
  process.on('SIGINT', () => void running.shutdown().then(() => process.exit(0)))
  process.on('SIGHUP', () => {
    running
      .reload()
      .catch((error: Error) =>
        log.error('reload failed; the previous model keeps serving', { error: error.message }),
      )
  })
}

await main()
