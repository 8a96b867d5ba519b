import { formatImageReference, parseImageReference } from './image-reference.js'
import { parseAuthChallenge } from './registry-auth.js'
import { parseLayoutReference } from './image-source.js'

describe('image references', () => {
  it.each([
    ['alpine', { registry: 'registry-1.docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['bitnami/redis:7', { registry: 'registry-1.docker.io', repository: 'bitnami/redis', tag: '7' }],
    ['127.0.0.1:5000/models/x:1', { registry: '127.0.0.1:5000', repository: 'models/x', tag: '1' }],
    ['localhost/x', { registry: 'localhost', repository: 'x', tag: 'latest' }],
    [
      `ghcr.io/acme/model-server:1@sha256:${'a'.repeat(64)}`,
      { registry: 'ghcr.io', repository: 'acme/model-server', tag: '1', digest: `sha256:${'a'.repeat(64)}` },
    ],
    [
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/models/r@sha256:${'b'.repeat(64)}`,
      {
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        repository: 'models/r',
        digest: `sha256:${'b'.repeat(64)}`,
      },
    ],
  ])('%s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected)
    expect(parseImageReference(formatImageReference(parseImageReference(text)))).toEqual(expected)
  })

  it.each([
    ['', /it is empty/],
    ['ghcr.io/Acme/x', /repository 'Acme\/x' must be lower-case/],
    ['x@sha256:abc', /digest 'sha256:abc' is not sha256:<64 hex>/],
    ['x:-bad', /tag '-bad' has characters a tag cannot have/],
  ])('rejects %j', (text, message) => {
    expect(() => parseImageReference(text)).toThrow(message)
  })

  it('reads oci:<folder>[:tag] relative to a folder', () => {
    expect(parseLayoutReference('oci:layout:v1', '/w')).toEqual({ dir: '/w/layout', tag: 'v1' })
    expect(parseLayoutReference('oci:/abs/layout', '/w')).toEqual({ dir: '/abs/layout' })
    expect(parseLayoutReference('ghcr.io/x:1', '/w')).toBeUndefined()
  })
})

describe('WWW-Authenticate challenges', () => {
  it('reads Docker Hub style bearer challenges, with quoted commas', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/alpine:pull,push',
    })
  })
  it('reads basic, ignores other schemes and no header', () => {
    expect(parseAuthChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      realm: 'Registry Realm',
    })
    expect(parseAuthChallenge('Negotiate')).toBeUndefined()
    expect(parseAuthChallenge(null)).toBeUndefined()
  })
})
