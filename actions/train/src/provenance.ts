import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** sha256 over the dataset files' bytes in order: the same data gives the same hash on every machine. */
export async function datasetHash(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256')
  for (const file of files) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  }
  return `sha256:${hash.digest('hex')}`
}

/** The commit being built: GITHUB_SHA on a runner, else the checkout's HEAD, else null (not a git folder). */
export function gitSha(cwd: string): Promise<string | null> {
  if (process.env.GITHUB_SHA) return Promise.resolve(process.env.GITHUB_SHA)
  return new Promise((resolve) =>
    execFile('git', ['rev-parse', 'HEAD'], { cwd }, (error, stdout) =>
      resolve(error ? null : stdout.trim() || null),
    ),
  )
}
