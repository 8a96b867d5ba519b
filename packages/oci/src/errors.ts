/**
 * Failures a user can fix (wrong address, missing login, misspelt image). Each message names the registry or
 * image and says what to check; the low-level cause (HTTP status, socket error) stays in `cause` for debug logs.
 */
export class RegistryError extends Error {
  readonly registry: string
  constructor(message: string, registry: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RegistryError'
    this.registry = registry
  }
}

/** 401/403 after the auth flow: the credentials are missing, wrong or lack push/pull rights on the repository. */
export class RegistryAuthError extends RegistryError {
  constructor(message: string, registry: string, options?: ErrorOptions) {
    super(message, registry, options)
    this.name = 'RegistryAuthError'
  }
}

/** No HTTP answer at all (refused, DNS, TLS, timeout), after the retries. */
export class RegistryUnreachableError extends RegistryError {
  constructor(message: string, registry: string, options?: ErrorOptions) {
    super(message, registry, options)
    this.name = 'RegistryUnreachableError'
  }
}

/** A manifest or tag that does not exist: usually a misspelt base image or a tag that was never pushed. */
export class ImageNotFoundError extends RegistryError {
  readonly image: string
  constructor(message: string, registry: string, image: string, options?: ErrorOptions) {
    super(message, registry, options)
    this.name = 'ImageNotFoundError'
    this.image = image
  }
}

/** Bad input to image assembly or the layout reader: a bundle that cannot be packed, a broken layout folder. */
export class ImageInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ImageInputError'
  }
}
