import type { TrackingStore } from '@mlops/mlflow'

/** Tag (on the promoted version and on the registered model) naming the champion it replaced, for rollback. */
export const PREVIOUS_CHAMPION_TAG = 'previous_champion'

export interface PromotionResult {
  /** The champion alias points at the candidate after this call. */
  promoted: boolean
  /** false when an earlier run had already moved it: nothing was written. */
  changed: boolean
  previous: string | undefined
  championVersion: string
}

/**
 * Moves the champion alias to the candidate. The previous champion is tagged first, so an interrupted run leaves
 * the tag without the move (and a rerun completes it) rather than a move nobody can trace back. A rerun after
 * success finds the alias already on the candidate and changes nothing, so the tag keeps the real predecessor.
 */
export async function promoteToChampion(
  store: TrackingStore,
  name: string,
  version: string,
  alias: string,
): Promise<PromotionResult> {
  const model = await store.getRegisteredModel(name)
  const current = model.aliases[alias]
  if (current === version) {
    const candidate = await store.getModelVersion(name, version)
    return {
      promoted: true,
      changed: false,
      previous: candidate.tags[PREVIOUS_CHAMPION_TAG],
      championVersion: version,
    }
  }
  if (current !== undefined) {
    await store.setModelVersionTag(name, version, PREVIOUS_CHAMPION_TAG, current)
    await store.setRegisteredModelTag(name, PREVIOUS_CHAMPION_TAG, current)
  }
  await store.setAlias(name, alias, version)
  return { promoted: true, changed: true, previous: current, championVersion: version }
}

export interface VersionPoint {
  version: string
  value: number
}

/**
 * The primary metric as logged at registration for the most recent versions, oldest first, for the chart. These
 * are each version's own holdout numbers (what the registry knows), not this gate's evaluation.
 */
export async function metricHistory(
  store: TrackingStore,
  name: string,
  metric: string,
  limit: number,
): Promise<VersionPoint[]> {
  if (limit === 0) return []
  const quote = name.includes("'") ? '"' : "'"
  const versions = (await store.searchModelVersions({ filter: `name = ${quote}${name}${quote}` }))
    .filter((v) => v.name === name && v.runId !== undefined)
    .sort((a, b) => Number(a.version) - Number(b.version))
    .slice(-limit)
  const points: VersionPoint[] = []
  for (const v of versions) {
    const run = await store.getRun(v.runId!).catch(() => undefined)
    const value = run?.data.metrics[metric]?.value
    if (typeof value === 'number' && Number.isFinite(value)) points.push({ version: v.version, value })
  }
  return points
}
