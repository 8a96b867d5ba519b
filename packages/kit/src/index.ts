export { ConfigurationError, type ErrorLocation } from './errors.js'
export { run, type RunOptions } from './run.js'
export {
  getRequiredInput,
  getOptionalInput,
  getBooleanInput,
  getNumberInput,
  getListInput,
  getEnumInput,
  getPathInput,
  getSecretInput,
  type NumberInputOptions,
  type PathInputOptions,
  type SecretInputOptions,
} from './inputs.js'
export { maskSecret } from './secrets.js'
export { retry, type RetryInfo, type RetryOptions } from './retry.js'
export { group, info, warning, debug, notice, isDebug } from './log.js'
export { createProgress, formatAmount, type Progress, type ProgressOptions } from './progress.js'
export {
  escapeMarkdown,
  markdownTable,
  details,
  heading,
  codeBlock,
  writeSummary,
  type Alignment,
} from './summary.js'
export { setOutputs } from './outputs.js'
export {
  upsertComment,
  commentMarker,
  pullRequestFromContext,
  type UpsertCommentOptions,
  type UpsertCommentResult,
  type PullRequestRef,
} from './comment.js'
