import { stat } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { checkKubeconfigText, kubeconfigSecrets, loadKubeConfig, withKubeconfig } from './kubeconfig.js'

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-service-account-token'
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: k3s
  cluster:
    server: https://10.0.0.5:6443
    certificate-authority-data: ${Buffer.from('not a real CA').toString('base64')}
users:
- name: deployer
  user:
    token: ${TOKEN}
contexts:
- name: k3s
  context: {cluster: k3s, user: deployer, namespace: ml}
current-context: k3s
`

test('the kubeconfig is a 0600 file in a 0700 directory while in use, and gone afterwards', async () => {
  let seen = ''
  const out = await withKubeconfig({ kind: 'content', content: KUBECONFIG }, async ({ path, kubeConfig }) => {
    seen = path
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(dirname(path))).mode & 0o777).toBe(0o700)
    expect(kubeConfig.getCurrentCluster()?.server).toBe('https://10.0.0.5:6443')
    expect(kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace).toBe('ml')
    return 'done'
  })
  expect(out).toBe('done')
  expect(seen).not.toBe('')
  expect(existsSync(seen)).toBe(false)
  expect(existsSync(dirname(seen))).toBe(false)
})

test('it is removed when the work inside throws too', async () => {
  let seen = ''
  await expect(
    withKubeconfig({ kind: 'content', content: KUBECONFIG }, async ({ path }) => {
      seen = path
      throw new Error('deploy failed')
    }),
  ).rejects.toThrow('deploy failed')
  expect(existsSync(dirname(seen))).toBe(false)
})

test('bad kubeconfig text is a clear error that never echoes the content', () => {
  const cases: Array<[string, RegExp]> = [
    [`clusters: [\n  token: ${TOKEN}`, /^kubeconfig is not valid YAML \(line \d+\)$/],
    [`just-a-string-${TOKEN}`, /^kubeconfig must be a kubeconfig mapping/],
    [KUBECONFIG.replace(/users:[\s\S]*?contexts:/, 'contexts:'), /^kubeconfig has no 'users' entries$/],
  ]
  for (const [text, message] of cases) {
    let error: Error | undefined
    try {
      checkKubeconfigText(text)
    } catch (e) {
      error = e as Error
    }
    expect(error?.message).toMatch(message)
    expect(error?.message).not.toContain(TOKEN)
    expect(error?.stack ?? '').not.toContain(TOKEN)
  }
  expect(() =>
    loadKubeConfig({
      kind: 'content',
      content: KUBECONFIG.replace('current-context: k3s', 'current-context: nope'),
    }),
  ).toThrow(/has no current cluster/)
})

test('every secret in the kubeconfig is listed for masking', () => {
  const kc = loadKubeConfig({ kind: 'content', content: KUBECONFIG })
  expect(kubeconfigSecrets(kc)).toEqual([TOKEN])
})
