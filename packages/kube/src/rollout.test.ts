import { rolloutStatus, type DeploymentState } from './rollout.js'

/** The decision `kubectl rollout status` makes, case by case. */
const base = (status: DeploymentState['status'], generation = 2): DeploymentState => ({
  metadata: { name: 'web', generation },
  spec: { replicas: 3 },
  status,
})

test.each<[string, DeploymentState, string, RegExp]>([
  [
    'the controller has not seen the new spec',
    base({ observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
    'progressing',
    /waiting for web spec update to be observed/,
  ],
  [
    'new replicas are still coming',
    base({ observedGeneration: 2, updatedReplicas: 1, replicas: 4, availableReplicas: 3 }),
    'progressing',
    /1 of 3 updated replicas are available/,
  ],
  [
    'old replicas are terminating',
    base({ observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }),
    'progressing',
    /1 old replicas are pending termination/,
  ],
  [
    'updated but not yet available',
    base({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }),
    'progressing',
    /2 of 3 updated replicas are available/,
  ],
  [
    'complete',
    base({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
    'complete',
    /web successfully rolled out \(3\/3 available\)/,
  ],
  [
    'the progress deadline passed',
    base({
      observedGeneration: 2,
      updatedReplicas: 3,
      replicas: 6,
      availableReplicas: 3,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "web-1" has timed out progressing.',
        },
      ],
    }),
    'failed',
    /web exceeded its progress deadline: ReplicaSet "web-1" has timed out progressing\./,
  ],
])('%s', (_, deployment, phase, message) => {
  const status = rolloutStatus(deployment)
  expect(status.phase).toBe(phase)
  expect(status.message).toMatch(message)
})
