/** What the runner tells us about this workflow run, as plain values (all undefined outside GitHub). */
export interface WorkflowContext {
  runUrl: string | undefined
  repositoryName: string | undefined
  sha: string | undefined
  ref: string | undefined
  actor: string | undefined
  workflow: string | undefined
  runNumber: string | undefined
}

export function workflowContext(env: NodeJS.ProcessEnv): WorkflowContext {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com'
  const runUrl =
    env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined
  return {
    runUrl,
    repositoryName: env.GITHUB_REPOSITORY?.split('/')[1],
    sha: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    actor: env.GITHUB_ACTOR,
    workflow: env.GITHUB_WORKFLOW,
    runNumber: env.GITHUB_RUN_NUMBER,
  }
}

/** MLflow's standard source tags, so the MLflow UI links the run to its commit, plus ours. */
export function runTags(context: WorkflowContext): Record<string, string> {
  const tags: Record<string, string> = {}
  if (context.sha) tags['mlflow.source.git.commit'] = context.sha
  if (context.ref) tags['github.ref'] = context.ref
  if (context.runUrl) {
    tags['mlflow.source.name'] = context.runUrl
    tags['mlflow.source.type'] = 'JOB'
    tags['github.workflow_run'] = context.runUrl
  }
  return tags
}
