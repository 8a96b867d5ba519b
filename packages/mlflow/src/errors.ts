export interface MlflowErrorDetails {
  /** HTTP status the server answered (or would have, for the FileStore); undefined for network failures. */
  status?: number | undefined
  /** MLflow's error_code (RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE, ...) or one of ours. */
  errorCode: string
  /** What the server said, as text, with credentials removed. */
  serverMessage?: string | undefined
}

/**
 * Anything MLflow refused or could not do. The message is written for the person who has to fix it;
 * status and errorCode are for code that wants to react (e.g. reuse an experiment that already exists).
 */
export class MlflowError extends Error {
  readonly status: number | undefined
  readonly errorCode: string
  readonly serverMessage: string | undefined

  constructor(message: string, details: MlflowErrorDetails, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MlflowError'
    this.status = details.status
    this.errorCode = details.errorCode
    this.serverMessage = details.serverMessage
  }
}

// Codes the server uses, plus our own for failures that never reach it.
export const RESOURCE_DOES_NOT_EXIST = 'RESOURCE_DOES_NOT_EXIST'
export const RESOURCE_ALREADY_EXISTS = 'RESOURCE_ALREADY_EXISTS'
export const INVALID_PARAMETER_VALUE = 'INVALID_PARAMETER_VALUE'
export const INTERNAL_ERROR = 'INTERNAL_ERROR'
export const PERMISSION_DENIED = 'PERMISSION_DENIED'
export const UNAUTHENTICATED = 'UNAUTHENTICATED'
export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED'
export const CONNECTION_FAILED = 'CONNECTION_FAILED'
export const INVALID_CONFIGURATION = 'INVALID_CONFIGURATION'
export const MODEL_REGISTRATION_FAILED = 'MODEL_REGISTRATION_FAILED'

export function hasErrorCode(error: unknown, code: string): error is MlflowError {
  return error instanceof MlflowError && error.errorCode === code
}

export function notFound(message: string): MlflowError {
  return new MlflowError(message, { status: 404, errorCode: RESOURCE_DOES_NOT_EXIST })
}

export function alreadyExists(message: string): MlflowError {
  return new MlflowError(message, { status: 400, errorCode: RESOURCE_ALREADY_EXISTS })
}

export function invalidParameter(message: string): MlflowError {
  return new MlflowError(message, { status: 400, errorCode: INVALID_PARAMETER_VALUE })
}

export function invalidConfiguration(message: string): MlflowError {
  return new MlflowError(message, { errorCode: INVALID_CONFIGURATION })
}
