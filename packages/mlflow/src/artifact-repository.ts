import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { basename, joinArtifactPath } from './artifact-path.js'
import { MlflowError } from './errors.js'
import type { FileInfo } from './types.js'
import { walkFiles } from './walk-files.js'

/** One place artifacts are stored under a root URI (file://, mlflow-artifacts:/, s3://). */
export interface ArtifactRepository {
  /** Stores a local file at `<root>/<artifactPath>`, artifactPath naming the file itself. */
  uploadFile(localFile: string, artifactPath: string): Promise<void>
  /** Direct children of a directory, with paths relative to the root; [] for a file or nothing. */
  list(path: string): Promise<FileInfo[]>
  /** Copies the stored file at artifactPath to localFile (parent folders exist). */
  downloadFile(artifactPath: string, localFile: string): Promise<void>
}

export async function uploadDirectory(
  repo: ArtifactRepository,
  localDir: string,
  artifactPath: string,
): Promise<void> {
  const info = await stat(localDir).catch(() => undefined)
  if (info === undefined || !info.isDirectory()) {
    throw new MlflowError(`Cannot upload artifacts from ${localDir}: it is not a folder.`, {
      errorCode: 'INVALID_PARAMETER_VALUE',
    })
  }
  for (const rel of await walkFiles(localDir)) {
    await repo.uploadFile(join(localDir, rel), joinArtifactPath(artifactPath, rel))
  }
}

/**
 * A directory's contents go into destDir; a single file to destDir/<basename>. A path with no children
 * is taken for a file, which is how MLflow's own clients tell the two apart.
 */
export async function downloadTree(repo: ArtifactRepository, path: string, destDir: string): Promise<string> {
  const children = await repo.list(path)
  await mkdir(destDir, { recursive: true })
  if (children.length === 0) {
    const local = join(destDir, basename(path) || 'artifact')
    await repo.downloadFile(path, local)
    return local
  }
  await downloadChildren(repo, children, destDir)
  return destDir
}

async function downloadChildren(
  repo: ArtifactRepository,
  children: FileInfo[],
  destDir: string,
): Promise<void> {
  for (const child of children) {
    const name = basename(child.path)
    // Names come from the server or the bucket: none may step outside destDir.
    if (name === '' || name === '.' || name === '..' || name.includes('\\')) {
      throw new MlflowError(
        `Refusing to download an artifact named '${child.path}': it would leave ${destDir}.`,
        {
          errorCode: 'INVALID_PARAMETER_VALUE',
        },
      )
    }
    const local = join(destDir, name)
    if (child.isDir) {
      await mkdir(local, { recursive: true })
      await downloadChildren(repo, await repo.list(child.path), local)
    } else {
      await repo.downloadFile(child.path, local)
    }
  }
}
