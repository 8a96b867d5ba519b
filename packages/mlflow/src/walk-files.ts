import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Every regular file under dir, as sorted `/`-separated paths relative to it; [] if dir is missing. */
export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const visit = async (relative: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(join(dir, relative), { withFileTypes: true })
    } catch (error) {
      if (relative === '' && (error as { code?: unknown }).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) await visit(rel)
      else if (entry.isFile()) out.push(rel)
      else if (entry.isSymbolicLink()) {
        // Follow links as `mlflow.log_artifacts` does: what they point to is what gets stored.
        const target = await stat(join(dir, rel))
        if (target.isDirectory()) await visit(rel)
        else if (target.isFile()) out.push(rel)
      }
    }
  }
  await visit('')
  return out.sort()
}
