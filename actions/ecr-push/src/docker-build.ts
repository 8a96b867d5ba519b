import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'

export interface DockerRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the docker CLI without a shell; `stdin` is the only way a secret reaches it. */
export type DockerRunner = (
  args: string[],
  options?: { stdin?: string; onLine?: (line: string) => void },
) => Promise<DockerRun>

export function dockerRunner(binary = 'docker'): DockerRunner {
  return (args, options = {}) =>
    new Promise((resolve) => {
      const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], env: process.env })
      let stdout = ''
      let stderr = ''
      const lines = (chunk: Buffer, sink: 'out' | 'err'): void => {
        const text = chunk.toString()
        if (sink === 'out') stdout += text
        else stderr += text
        if (options.onLine) for (const line of text.split('\n')) if (line.trim() !== '') options.onLine(line)
      }
      child.stdout.on('data', (c: Buffer) => lines(c, 'out'))
      child.stderr.on('data', (c: Buffer) => lines(c, 'err'))
      child.on('error', (error) => resolve({ code: 127, stdout, stderr: stderr + error.message }))
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
      child.stdin.end(options.stdin ?? '')
    })
}

/** `docker info` answers only when a daemon is reachable: the switch between docker and assemble mode. */
export async function dockerDaemonAvailable(docker: DockerRunner): Promise<boolean> {
  const result = await docker(['info', '--format', '{{.ServerVersion}}'])
  return result.code === 0 && result.stdout.trim() !== ''
}

/** The password goes to `--password-stdin`; it is not an argument, so `ps` and the log never show it. */
export function dockerLoginArgs(registry: string, username: string): string[] {
  return ['login', '--username', username, '--password-stdin', registry]
}

export interface BuildPlan {
  dockerfile: string
  context: string
  bundle: string
  /** Full references registry/repository:tag. */
  references: string[]
  platforms: string[]
  labels: Record<string, string>
  metadataFile: string
}

/**
 * `docker buildx build` of the serve Dockerfile, with the bundle as the named build context `model` (the
 * Dockerfile copies it with `COPY --from=model . /model`), labels, every tag, pushed in the same step so
 * the digest comes back in the metadata file. Provenance attestations are off: they turn a single-platform
 * push into an index whose digest the deploy step would not expect.
 */
export function dockerBuildArgs(plan: BuildPlan): string[] {
  const args = ['buildx', 'build', '--file', plan.dockerfile, '--build-context', `model=${plan.bundle}`]
  args.push('--build-arg', 'MODEL_URI=/model')
  if (plan.platforms.length > 0) args.push('--platform', plan.platforms.join(','))
  for (const [key, value] of Object.entries(plan.labels)) args.push('--label', `${key}=${value}`)
  for (const reference of plan.references) args.push('--tag', reference)
  args.push('--metadata-file', plan.metadataFile, '--provenance=false', '--push', plan.context)
  return args
}

/** The pushed digest, from buildx's metadata file. */
export async function readBuildDigest(metadataFile: string): Promise<string> {
  const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>
  const digest = metadata['containerimage.digest']
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new Error(`docker buildx wrote no image digest to ${metadataFile}`)
  }
  return digest
}
