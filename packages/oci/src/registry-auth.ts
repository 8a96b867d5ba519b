export interface AuthChallenge {
  scheme: 'bearer' | 'basic'
  realm?: string
  service?: string
  scope?: string
}

/**
 * Reads a `WWW-Authenticate` header such as
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"`
 * or `Basic realm="registry"`. Returns undefined for schemes a registry does not use (e.g. Negotiate).
 */
export function parseAuthChallenge(header: string | null): AuthChallenge | undefined {
  if (header === null) return undefined
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header)
  if (!match) return undefined
  const scheme = match[1]!.toLowerCase()
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined
  const params: Record<string, string> = {}
  for (const pair of match[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[pair[1]!.toLowerCase()] = (pair[2] ?? pair[3] ?? '').replace(/\\(.)/g, '$1')
  }
  return {
    scheme,
    ...(params.realm !== undefined ? { realm: params.realm } : {}),
    ...(params.service !== undefined ? { service: params.service } : {}),
    ...(params.scope !== undefined ? { scope: params.scope } : {}),
  }
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`
}
