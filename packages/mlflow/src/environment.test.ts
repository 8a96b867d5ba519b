import { fromEnvironment } from './environment.js'
import { INVALID_CONFIGURATION } from './errors.js'

describe('fromEnvironment', () => {
  test('nothing set: no server (the FileStore), no auth', () => {
    expect(fromEnvironment({})).toMatchObject({ trackingUri: undefined, auth: undefined })
  })

  test('a token becomes bearer auth', () => {
    const config = fromEnvironment({
      MLFLOW_TRACKING_URI: 'https://mlflow.example.com/',
      MLFLOW_TRACKING_TOKEN: 't0k',
    })
    expect(config.trackingUri).toBe('https://mlflow.example.com')
    expect(config.auth).toEqual({ kind: 'bearer', token: 't0k' })
  })

  test('username and password win over a token, as in MLflow', () => {
    const config = fromEnvironment({
      MLFLOW_TRACKING_URI: 'http://h:5000',
      MLFLOW_TRACKING_TOKEN: 't',
      MLFLOW_TRACKING_USERNAME: 'u',
      MLFLOW_TRACKING_PASSWORD: 'p',
    })
    expect(config.auth).toEqual({ kind: 'basic', username: 'u', password: 'p' })
  })

  test('credentials inside the URI move into auth and out of the URI', () => {
    const config = fromEnvironment({
      MLFLOW_TRACKING_URI: 'https://al%40ce:pa%3Ass@mlflow.example.com:8443/prefix',
    })
    expect(config.trackingUri).toBe('https://mlflow.example.com:8443/prefix')
    expect(config.auth).toEqual({ kind: 'basic', username: 'al@ce', password: 'pa:ss' })
  })

  test('half of basic auth is a configuration error naming the missing variable', () => {
    expect(() => fromEnvironment({ MLFLOW_TRACKING_USERNAME: 'u' })).toThrow(/MLFLOW_TRACKING_PASSWORD/)
    expect(() => fromEnvironment({ MLFLOW_TRACKING_PASSWORD: 'p' })).toThrow(/MLFLOW_TRACKING_USERNAME/)
    try {
      fromEnvironment({ MLFLOW_TRACKING_USERNAME: 'u' })
    } catch (error) {
      expect(error).toMatchObject({ errorCode: INVALID_CONFIGURATION })
    }
  })

  test('S3 settings, timeout and retries come from the variables MLflow and AWS use', () => {
    const config = fromEnvironment({
      MLFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      MLFLOW_HTTP_REQUEST_TIMEOUT: '30',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2',
    })
    expect(config.s3).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    })
    expect(config.timeoutMs).toBe(30_000)
    expect(config.attempts).toBe(3)
    expect(() => fromEnvironment({ MLFLOW_HTTP_REQUEST_TIMEOUT: 'soon' })).toThrow(
      /MLFLOW_HTTP_REQUEST_TIMEOUT/,
    )
  })
})
