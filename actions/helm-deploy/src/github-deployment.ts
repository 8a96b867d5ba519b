/**
 * Records the deploy as a GitHub deployment with a status, through the REST API (deployments:write).
 * Plain fetch: one POST for the deployment, one for its status.
 */
export interface DeploymentRecord {
  token: string
  environment: string
  /** owner/name */
  repository: string
  ref: string
  description: string
  payload: Record<string, string>
  state: 'success' | 'failure' | 'error'
  logUrl?: string
  environmentUrl?: string
  apiUrl?: string
}

async function post(url: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
      'x-github-api-version': '2022-11-28',
    },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok)
    throw new Error(`POST ${new URL(url).pathname}: HTTP ${response.status} ${text.slice(0, 200)}`)
  return JSON.parse(text) as Record<string, unknown>
}

export async function recordGithubDeployment(r: DeploymentRecord): Promise<number> {
  const api = (r.apiUrl ?? 'https://api.github.com').replace(/\/$/, '')
  const deployment = await post(`${api}/repos/${r.repository}/deployments`, r.token, {
    ref: r.ref,
    environment: r.environment,
    description: r.description.slice(0, 140),
    payload: r.payload,
    auto_merge: false,
    required_contexts: [],
    production_environment: /prod/i.test(r.environment),
  })
  const id = Number(deployment.id)
  await post(`${api}/repos/${r.repository}/deployments/${id}/statuses`, r.token, {
    state: r.state,
    description: r.description.slice(0, 140),
    ...(r.logUrl ? { log_url: r.logUrl } : {}),
    ...(r.environmentUrl ? { environment_url: r.environmentUrl } : {}),
    auto_inactive: r.state === 'success',
  })
  return id
}
