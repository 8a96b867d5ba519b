import { copyFile, mkdir, readdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { joinArtifactPath, normalizeArtifactPath } from './artifact-path.js'
import type { ArtifactRepository } from './artifact-repository.js'
import { notFound } from './errors.js'
import type { FileInfo } from './types.js'

/** `file:///abs/dir` or a plain path -> an absolute local path. */
export function localPathFromUri(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : resolve(uri)
}

/** Artifacts in a local folder: the FileStore's `<run>/artifacts`, or a server's local artifact root. */
export class LocalArtifactRepository implements ArtifactRepository {
  readonly root: string

  constructor(rootUri: string) {
    this.root = localPathFromUri(rootUri)
  }

  private local(path: string): string {
    const rel = normalizeArtifactPath(path)
    return rel === '' ? this.root : join(this.root, ...rel.split('/'))
  }

  async uploadFile(localFile: string, artifactPath: string): Promise<void> {
    const target = this.local(artifactPath)
    await mkdir(dirname(target), { recursive: true })
    await copyFile(localFile, target)
  }

  async list(path: string): Promise<FileInfo[]> {
    const dir = this.local(path)
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return []
    }
    const out: FileInfo[] = []
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const rel = joinArtifactPath(path, entry.name)
      const info = await stat(join(dir, entry.name))
      out.push({ path: rel, isDir: info.isDirectory(), fileSize: info.isDirectory() ? undefined : info.size })
    }
    return out
  }

  async downloadFile(artifactPath: string, localFile: string): Promise<void> {
    const source = this.local(artifactPath)
    try {
      await copyFile(source, localFile)
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') {
        throw notFound(`Artifact '${artifactPath}' does not exist under ${this.root}.`)
      }
      throw error
    }
  }
}
