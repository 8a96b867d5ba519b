import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

const REGISTRY_BIN = '/usr/bin/docker-registry'
const INSTALL_HINT =
  'install it with: bash scripts/tools/registry.sh (Debian packages docker-registry, skopeo, apache2-utils)'

export interface LocalRegistry {
  /** 127.0.0.1:<port> */
  host: string
  dir: string
  stop(): Promise<void>
}

/** Fails the calling test with an install hint when a tool the tests use as an independent reference is missing. */
export function requireTool(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${INSTALL_HINT}`)
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts Debian's docker-registry (distribution v2.8) on 127.0.0.1 with filesystem storage in a temp folder,
 * plain HTTP, optionally with basic auth from an htpasswd file.
 */
export async function startLocalRegistry(
  options: { basicAuth?: { username: string; password: string } } = {},
): Promise<LocalRegistry> {
  requireTool(REGISTRY_BIN)
  const dir = await mkdtemp(join(tmpdir(), 'oci-registry-'))
  const port = await freePort()
  let auth = ''
  if (options.basicAuth) {
    requireTool('/usr/bin/htpasswd')
    const line = execFileSync('/usr/bin/htpasswd', ['-niB', options.basicAuth.username], {
      input: options.basicAuth.password,
      encoding: 'utf8',
    })
    await writeFile(join(dir, 'htpasswd'), line.trim() + '\n')
    auth = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${join(dir, 'htpasswd')}\n`
  }
  const config = join(dir, 'config.yml')
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  )
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const host = `127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr}`)
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    )
    if (up) break
    if (i > 100) {
      child.kill()
      throw new Error(`docker-registry did not answer on ${host} within 10 s: ${stderr}`)
    }
    await delay(100)
  }
  return {
    host,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Runs skopeo with TLS verification off (the test registry is plain HTTP) and returns stdout. */
export function skopeo(args: string[]): string {
  requireTool('/usr/bin/skopeo')
  return execFileSync('/usr/bin/skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}
