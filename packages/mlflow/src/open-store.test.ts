import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tempDir } from './__fixtures__/model-folder.js'
import { fromEnvironment } from './environment.js'
import { FileStore } from './file-store.js'
import { openTrackingStore } from './open-store.js'
import { RestStore } from './rest-store.js'

describe('openTrackingStore', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('open-store')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  test('no MLFLOW_TRACKING_URI: the FileStore in the default folder, created with experiment 0', async () => {
    const store = await openTrackingStore(fromEnvironment({}), { defaultRoot: join(dir, 'mlruns') })
    expect(store).toBeInstanceOf(FileStore)
    expect((await stat(join(dir, 'mlruns', '0', 'meta.yaml'))).isFile()).toBe(true)
  })

  test('a folder or file:// URI: the FileStore there', async () => {
    const viaPath = await openTrackingStore(fromEnvironment({ MLFLOW_TRACKING_URI: join(dir, 'a') }))
    const viaUrl = await openTrackingStore(
      fromEnvironment({ MLFLOW_TRACKING_URI: pathToFileURL(join(dir, 'b')).href }),
    )
    expect(viaPath.location).toBe(join(dir, 'a'))
    expect(viaUrl.location).toBe(join(dir, 'b'))
  })

  test('http(s): the RestStore, with credentials kept out of its location', async () => {
    const store = await openTrackingStore(
      fromEnvironment({ MLFLOW_TRACKING_URI: 'https://u:p@mlflow.example.com/', MLFLOW_TRACKING_TOKEN: 'x' }),
    )
    expect(store).toBeInstanceOf(RestStore)
    expect(store.location).toBe('https://mlflow.example.com')
  })

  test('anything else is a configuration error naming the variable', async () => {
    for (const uri of ['databricks', 'databricks://profile', 'sqlite:///mlflow.db']) {
      await expect(openTrackingStore(fromEnvironment({ MLFLOW_TRACKING_URI: uri }))).rejects.toThrow(
        /MLFLOW_TRACKING_URI/,
      )
    }
  })
})
