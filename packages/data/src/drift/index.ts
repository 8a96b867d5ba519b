// Public drift API: train writes reference.json with it; serve (live drift) and drift-check read it.
export {
  REFERENCE_PROFILE_SCHEMA,
  type ReferenceProfile,
  type ReferenceColumn,
  type ReferenceKind,
} from './profile-types.js'
export { buildReferenceProfile, type BuildReferenceProfileOptions } from './build-profile.js'
export { parseReferenceProfile } from './parse-profile.js'
export { columnTableFromRows } from './rows.js'
export {
  detectDrift,
  DRIFT_METHODS,
  DEFAULT_THRESHOLDS,
  type DriftMethod,
  type DriftOptions,
  type ColumnDriftOptions,
  type ColumnDrift,
  type DriftReport,
} from './detect.js'
