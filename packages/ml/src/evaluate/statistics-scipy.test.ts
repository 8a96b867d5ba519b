import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mulberry32 } from '../train/seeded-random.js'
import { chiSquare1Sf, erfc, mcnemarFromCounts, mcnemarTest } from './mcnemar.js'
import { bootstrapIndices, pairedBootstrapInterval } from './paired-bootstrap.js'
import { pairedStatistic } from './quality-gate.js'

/**
 * SciPy/NumPy (Debian python3-scipy, python3-numpy; scripts/test.sh installs them) as the independent reference:
 * the same predictions and the same resample indices go to Python through a temp file.
 */
function python(script: string, ...args: string[]): string {
  try {
    return execFileSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' }).trim()
  } catch (error) {
    throw new Error(
      `python3 with scipy and numpy is needed as the reference (apt-get install python3-scipy python3-numpy): ${(error as Error).message}`,
    )
  }
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gate-scipy-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** Two correlated binary classifiers on the same rows; the candidate's scores carry a bit more signal. */
function predictions(rows: number, seed: number) {
  const random = mulberry32(seed)
  const actual = new Int32Array(rows)
  const baseline = new Float32Array(rows * 2)
  const candidate = new Float32Array(rows * 2)
  for (let i = 0; i < rows; i++) {
    actual[i] = random() < 0.3 ? 1 : 0
    const shared = random() - 0.5
    const squash = (z: number) => 1 / (1 + Math.exp(-z))
    const pb = squash(actual[i]! * 1.0 + shared * 2 + (random() - 0.5) * 2 - 0.9)
    const pc = squash(actual[i]! * 1.3 + shared * 2 + (random() - 0.5) * 2 - 1)
    baseline.set([1 - pb, pb], i * 2)
    candidate.set([1 - pc, pc], i * 2)
  }
  const argmax = (p: Float32Array) =>
    Int32Array.from({ length: rows }, (_, i) => (p[i * 2 + 1]! > p[i * 2]! ? 1 : 0))
  return {
    actual,
    baseline: { probabilities: baseline, predicted: argmax(baseline) },
    candidate: { probabilities: candidate, predicted: argmax(candidate) },
  }
}

describe('paired bootstrap interval agrees with NumPy on the same resamples', () => {
  it.each([
    ['roc_auc', 0.95],
    ['log_loss', 0.9],
    ['accuracy', 0.95],
  ] as const)('%s delta, %s interval', async (metric, confidence) => {
    const rows = 600
    const { actual, baseline, candidate } = predictions(rows, 7)
    const indices = bootstrapIndices(rows, 1000, 11)
    const interval = pairedBootstrapInterval(
      { rows, resamples: 1000, seed: 11, confidence },
      pairedStatistic(metric, actual, candidate, baseline, 2),
    )
    const file = join(dir, `${metric}.json`)
    await writeFile(
      file,
      JSON.stringify({
        y: [...actual],
        pb: [...baseline.probabilities],
        pc: [...candidate.probabilities],
        indices: indices.map((s) => [...s]),
      }),
    )
    const out = python(
      `import json, sys, numpy as np
from scipy.stats import rankdata
d = json.load(open(sys.argv[1])); metric = sys.argv[2]; conf = float(sys.argv[3])
y = np.array(d['y'])
pb = np.array(d['pb']).reshape(-1, 2); pc = np.array(d['pc']).reshape(-1, 2)
def auc(y, s):  # Mann-Whitney U with average ranks for ties
    r = rankdata(s[:, 1]); p = y.sum(); n = len(y) - p
    return (r[y == 1].sum() - p * (p + 1) / 2) / (p * n)
def loss(y, p):
    # float32 rows do not sum to exactly 1: normalise as sklearn's log_loss does, then clip.
    p = np.clip(p[np.arange(len(y)), y] / p.sum(axis=1), 1e-15, 1 - 1e-15)
    return -np.log(p).mean()
def acc(y, p):
    return ((p[:, 1] > p[:, 0]).astype(int) == y).mean()
f = {'roc_auc': auc, 'log_loss': loss, 'accuracy': acc}[metric]
deltas = []
for idx in d['indices']:
    i = np.array(idx)
    if metric == 'roc_auc' and y[i].min() == y[i].max():
        continue
    deltas.append(f(y[i], pc[i]) - f(y[i], pb[i]))
tail = (1 - conf) / 2 * 100
lo, hi = np.percentile(deltas, [tail, 100 - tail])
print(json.dumps([f(y, pc) - f(y, pb), lo, hi, len(deltas)]))`,
      file,
      metric,
      String(confidence),
    )
    const [estimate, low, high, used] = JSON.parse(out) as number[]
    // Same rows, same formulas, double precision on both sides: only summation order differs.
    expect(interval.estimate).toBeCloseTo(estimate!, 10)
    expect(interval.low).toBeCloseTo(low!, 10)
    expect(interval.high).toBeCloseTo(high!, 10)
    expect(interval.resamples).toBe(used)
    expect(interval.high).toBeGreaterThan(interval.low)
  })
})

describe("McNemar's test agrees with SciPy", () => {
  it('chi-square with continuity correction on many discordant rows, as statsmodels exact=False', () => {
    const { actual, baseline, candidate } = predictions(2000, 3)
    const result = mcnemarTest(actual, baseline.predicted, candidate.predicted)
    expect(result.method).toBe('chi-square-corrected')
    expect(result.baselineOnly + result.candidateOnly).toBeGreaterThanOrEqual(25)
    const p = Number(
      python(
        `import sys; from scipy.stats import chi2
b, c = int(sys.argv[1]), int(sys.argv[2])
print(repr(chi2.sf((abs(b - c) - 1) ** 2 / (b + c), 1)))`,
        String(result.baselineOnly),
        String(result.candidateOnly),
      ),
    )
    expect(Math.abs(result.pValue - p)).toBeLessThanOrEqual(1e-12 + 1e-9 * p)
  })

  it.each([
    [0, 0],
    [3, 9],
    [10, 2],
    [7, 7],
    [0, 12],
  ])('exact binomial below 25 discordant rows (b=%i, c=%i), as scipy.stats.binomtest', (b, c) => {
    const result = mcnemarFromCounts(b, c)
    expect(result.method).toBe('exact-binomial')
    const p = Number(
      python(
        `import sys; from scipy.stats import binomtest
b, c = int(sys.argv[1]), int(sys.argv[2])
print(repr(1.0 if b + c == 0 else binomtest(min(b, c), b + c, 0.5).pvalue))`,
        String(b),
        String(c),
      ),
    )
    expect(Math.abs(result.pValue - p)).toBeLessThanOrEqual(1e-12)
  })

  it('the chi-square tail over its whole range, against scipy.stats.chi2.sf and scipy.special.erfc', () => {
    const xs = [0.01, 0.5, 1, 3.84, 7.9, 8.1, 15, 40, 100]
    const reference = JSON.parse(
      python(
        `import json, sys; from scipy.stats import chi2; from scipy.special import erfc
xs = json.loads(sys.argv[1]); print(json.dumps([[chi2.sf(x, 1) for x in xs], [erfc(x) for x in xs]]))`,
        JSON.stringify(xs),
      ),
    ) as number[][]
    xs.forEach((x, i) => {
      expect(Math.abs(chiSquare1Sf(x) / reference[0]![i]! - 1)).toBeLessThan(1e-10)
      // erfc(x) underflows to 0 in doubles beyond x ~ 26.5; compare where it is representable.
      if (x < 26) expect(Math.abs(erfc(x) / reference[1]![i]! - 1)).toBeLessThan(1e-10)
    })
  })
})
