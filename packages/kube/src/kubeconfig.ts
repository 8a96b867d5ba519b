import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { parse } from 'yaml'
import { KubeConfigurationError } from './errors.js'

/** Where the cluster credentials come from: kubeconfig text (an action input), a file, in-cluster, or $KUBECONFIG. */
export type KubeconfigSource =
  | { kind: 'content'; content: string }
  | { kind: 'file'; path: string }
  | { kind: 'in-cluster' }
  | { kind: 'default' }

export interface TempKubeconfig {
  /** Path of the 0600 file, inside a 0700 directory of its own. */
  path: string
  kubeConfig: KubeConfig
}

/**
 * Checks that text is a kubeconfig without ever echoing it: the error names what is wrong, never the content,
 * because the content holds tokens and keys.
 */
/**
 * Where the kubeconfig comes from: the given text (checked, `source` names it in errors), else in-cluster
 * credentials when running in a pod, else $KUBECONFIG or ~/.kube/config.
 */
export function kubeconfigSourceOf(
  content: string | undefined,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): KubeconfigSource {
  if (content === undefined) return env.KUBERNETES_SERVICE_HOST ? { kind: 'in-cluster' } : { kind: 'default' }
  checkKubeconfigText(content, source)
  return { kind: 'content', content }
}

export function checkKubeconfigText(content: string, source = 'kubeconfig'): void {
  let doc: unknown
  try {
    doc = parse(content)
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line
    throw new KubeConfigurationError(`${source} is not valid YAML${line ? ` (line ${line})` : ''}`)
  }
  const config = doc as { clusters?: unknown; contexts?: unknown; users?: unknown } | null
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new KubeConfigurationError(`${source} must be a kubeconfig mapping (apiVersion: v1, kind: Config)`)
  }
  for (const key of ['clusters', 'contexts', 'users'] as const) {
    if (!Array.isArray(config[key]) || config[key].length === 0) {
      throw new KubeConfigurationError(`${source} has no '${key}' entries`)
    }
  }
}

export function loadKubeConfig(source: KubeconfigSource): KubeConfig {
  const kc = new KubeConfig()
  switch (source.kind) {
    case 'content':
      checkKubeconfigText(source.content)
      kc.loadFromString(source.content)
      break
    case 'file':
      kc.loadFromFile(source.path)
      break
    case 'in-cluster':
      kc.loadFromCluster()
      break
    case 'default':
      kc.loadFromDefault()
      break
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigurationError(
      `kubeconfig (${source.kind}) has no current cluster: set current-context or give one context`,
    )
  }
  return kc
}

/**
 * Runs `fn` with the kubeconfig written to a private temp file (helm and kubectl need a path) and removes it
 * afterwards, whatever `fn` does. The file is created with mode 0600 before any byte is written.
 */
export async function withKubeconfig<T>(
  source: KubeconfigSource,
  fn: (config: TempKubeconfig) => Promise<T>,
): Promise<T> {
  const kubeConfig = loadKubeConfig(source)
  const dir = await mkdtemp(join(tmpdir(), 'mlops-kube-'))
  try {
    await chmod(dir, 0o700)
    const path = join(dir, 'kubeconfig')
    // Given text is written as is (exportConfig drops fields it does not model); in-cluster and default configs
    // are serialised so helm sees exactly what client-node uses.
    const text = source.kind === 'content' ? source.content : kubeConfig.exportConfig()
    await writeFile(path, text, { mode: 0o600, flag: 'wx' })
    return await fn({ path, kubeConfig })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Every secret string inside a kubeconfig (tokens, passwords, keys), so callers can mask them in logs. */
export function kubeconfigSecrets(kc: KubeConfig): string[] {
  const secrets: string[] = []
  for (const user of kc.getUsers()) {
    for (const value of [user.token, user.password, user.keyData, user.certData]) {
      if (typeof value === 'string' && value !== '') secrets.push(value)
    }
    const authToken = (user.authProvider?.config as Record<string, unknown> | undefined)?.['access-token']
    if (typeof authToken === 'string' && authToken !== '') secrets.push(authToken)
  }
  return secrets
}
