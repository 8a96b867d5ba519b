import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { seededRandom } from '../__fixtures__/files.js'
import { ksTwoSample } from './ks-two-sample.js'
import {
  binShares,
  chiSquareTest,
  jensenShannonDistance,
  normedWasserstein,
  proportionZTest,
  wassersteinDistance,
} from './statistics.js'
import { meanAndStd, sampleFromValues } from './weighted-sample.js'

// Debian's python3-scipy is the independent reference (scripts/test.sh installs it via scripts/apt-deps.sh).
const PYTHON = '/usr/bin/python3'

const SCIPY_SCRIPT = `
import json, sys
import numpy as np
from scipy import stats
from scipy.spatial import distance
cases = json.load(sys.stdin)
out = []
for case in cases:
    a = np.array(case['a'], dtype=object if case['kind'] in ('chisquare', 'js_cat', 'z') else float)
    b = np.array(case['b'], dtype=a.dtype)
    k = case['kind']
    if k == 'ks':
        r = stats.ks_2samp(a, b, method='auto')
        out.append({'statistic': float(r.statistic), 'pvalue': float(r.pvalue)})
    elif k == 'chisquare':
        # Evidently: current counts against reference frequencies scaled to the current total.
        keys = sorted(set(a) | set(b))
        observed = [int(sum(1 for x in b if x == key)) for key in keys]
        expected = [sum(1 for x in a if x == key) * len(b) / len(a) for key in keys]
        r = stats.chisquare(observed, expected)
        out.append({'statistic': float(r.statistic), 'pvalue': float(r.pvalue)})
    elif k == 'z':
        keys = sorted(set(a) | set(b))
        p1 = sum(1 for x in a if x != keys[0]) / len(a)
        p2 = sum(1 for x in b if x != keys[0]) / len(b)
        pooled = (p1 * len(a) + p2 * len(b)) / (len(a) + len(b))
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
        out.append({'statistic': float(z), 'pvalue': float(2 * stats.norm.sf(abs(z)))})
    elif k == 'wasserstein':
        w = stats.wasserstein_distance(a, b)
        out.append({'distance': float(w), 'normed': float(w / max(np.std(a), 0.001))})
    elif k == 'js_num':
        edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=30)
        pa = np.histogram(a, edges)[0] / len(a)
        pb = np.histogram(b, edges)[0] / len(b)
        out.append({'distance': float(distance.jensenshannon(pa, pb))})
    elif k == 'js_cat':
        keys = sorted(set(a) | set(b))
        pa = np.array([sum(1 for x in a if x == key) for key in keys]) / len(a)
        pb = np.array([sum(1 for x in b if x == key) for key in keys]) / len(b)
        out.append({'distance': float(distance.jensenshannon(pa, pb))})
print(json.dumps(out))
`

interface Case {
  kind: 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'js_num' | 'js_cat'
  label: string
  a: Array<number | string>
  b: Array<number | string>
}

function runScipy(cases: Case[]): Array<Record<string, number>> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run bash scripts/apt-deps.sh python3-scipy`)
  try {
    execFileSync(PYTHON, ['-c', 'import scipy'], { stdio: 'pipe' })
  } catch {
    throw new Error('python3-scipy is not installed: run bash scripts/apt-deps.sh python3-scipy')
  }
  const payload = cases.map(({ kind, a, b }) => ({ kind, a, b }))
  return JSON.parse(
    execFileSync(PYTHON, ['-c', SCIPY_SCRIPT], {
      input: JSON.stringify(payload),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    }),
  ) as Array<Record<string, number>>
}

const random = seededRandom(20261130)
function normal(mean: number, sd: number): number {
  const u = 1 - random()
  const v = random()
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
const normals = (n: number, mean: number, sd: number, digits = 3): number[] =>
  Array.from({ length: n }, () => Number(normal(mean, sd).toFixed(digits)))
function poisson(n: number, lambda: number): number[] {
  return Array.from({ length: n }, () => {
    let k = 0
    let p = 1
    const limit = Math.exp(-lambda)
    while ((p *= random()) > limit) k++
    return k
  })
}
function labels(n: number, names: string[], weights: number[]): string[] {
  const total = weights.reduce((s, w) => s + w, 0)
  return Array.from({ length: n }, () => {
    let r = random() * total
    for (let i = 0; i < names.length; i++) if ((r -= weights[i]!) < 0) return names[i]!
    return names[names.length - 1]!
  })
}

/** A reference of 200 near-quantiles of a 20,000 sample: D ~ 0.03, where SciPy takes the Durbin matrix at n = 198. */
function durbinCase(): Case {
  const b = normals(20_000, 0, 1).sort((x, y) => x - y)
  const a = b.filter((_, i) => i % 100 === 25).map((x) => Number((x + 0.06).toFixed(3)))
  return { kind: 'ks', label: 'asymptotic, Durbin matrix', a, b }
}

const CATS = ['Emergency', 'Urgent', 'Elective', 'Trauma', 'Newborn']
const cases: Case[] = [
  { kind: 'ks', label: 'exact, equal sizes, no shift', a: normals(200, 0, 1), b: normals(200, 0, 1) },
  { kind: 'ks', label: 'exact, equal sizes, shifted', a: normals(250, 0, 1), b: normals(250, 0.3, 1) },
  { kind: 'ks', label: 'exact, unequal sizes', a: normals(300, 10, 2), b: normals(517, 10.2, 2) },
  { kind: 'ks', label: 'exact, 1000 vs 8000', a: normals(1000, 5, 1), b: normals(8000, 5.05, 1.1) },
  { kind: 'ks', label: 'exact, ties (counts)', a: poisson(400, 3.6), b: poisson(731, 4) },
  { kind: 'ks', label: 'asymptotic, small n (en <= 140)', a: normals(120, 0, 1), b: normals(12_000, 0.1, 1) },
  {
    kind: 'ks',
    label: 'asymptotic, far tail (2 x smirnov)',
    a: normals(900, 0, 1),
    b: normals(15_000, 0.4, 1),
  },
  { kind: 'ks', label: 'asymptotic, Pelz-Good', a: normals(2000, 0, 1), b: normals(11_000, 0.02, 1) },
  durbinCase(),
  { kind: 'ks', label: 'asymptotic, n <= 140 mid range', a: normals(100, 0, 1), b: normals(10_500, 0.2, 1) },
  {
    kind: 'chisquare',
    label: 'five labels, no shift',
    a: labels(800, CATS, [50, 20, 25, 4, 1]),
    b: labels(600, CATS, [50, 20, 25, 4, 1]),
  },
  {
    kind: 'chisquare',
    label: 'five labels, shifted',
    a: labels(900, CATS, [50, 20, 25, 4, 1]),
    b: labels(300, CATS, [40, 20, 35, 4, 1]),
  },
  {
    kind: 'chisquare',
    label: 'numeric codes',
    a: poisson(700, 0.8).map(String),
    b: poisson(450, 0.9).map(String),
  },
  {
    kind: 'z',
    label: 'binary, shifted',
    a: labels(700, ['No', 'Yes'], [70, 30]),
    b: labels(400, ['No', 'Yes'], [62, 38]),
  },
  {
    kind: 'z',
    label: 'binary, same',
    a: labels(500, ['0', '1'], [88, 12]),
    b: labels(500, ['0', '1'], [88, 12]),
  },
  { kind: 'wasserstein', label: 'normals', a: normals(5000, 63, 14, 0), b: normals(3000, 66, 15, 0) },
  {
    kind: 'wasserstein',
    label: 'unequal, decimals',
    a: normals(1234, 1.05, 0.35, 2),
    b: normals(777, 1.1, 0.3, 2),
  },
  { kind: 'js_num', label: 'histogram of 30 bins', a: normals(4000, 128, 16), b: normals(2500, 131, 17) },
  {
    kind: 'js_cat',
    label: 'labels',
    a: labels(5000, CATS, [50, 20, 25, 4, 1]),
    b: labels(2000, CATS, [38, 17, 42, 3, 0]),
  },
]

/** Within 1e-6 absolute (the bar) and 1e-6 relative, so tiny p-values in the far tail are checked too. */
function expectClose(got: number, want: number): void {
  expect(Math.abs(got - want)).toBeLessThan(1e-6)
  expect(Math.abs(got - want) / Math.max(Math.abs(want), 1e-300)).toBeLessThan(1e-6)
}

describe('drift statistics agree with SciPy', () => {
  const expected = runScipy(cases)

  it.each(cases.map((c, i) => [`${c.kind}: ${c.label}`, i] as const))('%s', (_name, index) => {
    const c = cases[index]!
    const want = expected[index]!
    const a = sampleFromValues(c.a)
    const b = sampleFromValues(c.b)
    switch (c.kind) {
      case 'ks': {
        const got = ksTwoSample(a, b)
        expectClose(got.statistic, want.statistic!)
        expectClose(got.pValue, want.pvalue!)
        return
      }
      case 'chisquare':
      case 'z': {
        const got = c.kind === 'chisquare' ? chiSquareTest(a, b) : proportionZTest(a, b)
        expectClose(got.statistic, want.statistic!)
        expectClose(got.pValue, want.pvalue!)
        return
      }
      case 'wasserstein':
        expectClose(wassersteinDistance(a, b), want.distance!)
        expectClose(normedWasserstein(a, b, meanAndStd(a).std), want.normed!)
        return
      case 'js_num':
      case 'js_cat': {
        const shares = binShares(a, b, c.kind === 'js_num')
        expectClose(jensenShannonDistance(shares.reference, shares.current), want.distance!)
        return
      }
    }
  })

  it('covers both KS p-value modes and p-values away from 0 and 1', () => {
    const modes = cases
      .filter((c) => c.kind === 'ks')
      .map((c) => ksTwoSample(sampleFromValues(c.a), sampleFromValues(c.b)))
    expect(new Set(modes.map((m) => m.mode))).toEqual(new Set(['exact', 'asymp']))
    expect(modes.some((m) => m.pValue > 0.01 && m.pValue < 0.99)).toBe(true)
  })
})
