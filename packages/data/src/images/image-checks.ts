import { relative } from 'node:path'
import type { CheckResult, Example } from '../expectations/evaluate.js'
import type { Severity } from '../expectations/suite.js'

/** What the scan keeps of one readable image: no pixels, so a large dataset stays in bounded memory. */
export interface ImageFacts {
  file: string
  label?: string
  width: number
  height: number
  channels: number
  sha256: string
}

/** A file named with why it fails, in words; `line` is the labels-CSV line when there is one. */
export interface FileProblem {
  file: string
  reason: string
  line?: number
}

const MAX_NAMED = 5

/** Names the first few problems in the observed text, where a reader of the summary sees them at once. */
function named(problems: readonly FileProblem[], root: string): string {
  const shown = problems.slice(0, MAX_NAMED).map((p) => `${relative(root, p.file)} (${p.reason})`)
  const more = problems.length > MAX_NAMED ? `, and ${problems.length - MAX_NAMED} more` : ''
  return shown.join(', ') + more
}

// Example.line is required; 0 marks "the whole file" for problems that have no line.
const examples = (problems: readonly FileProblem[]): Example[] =>
  problems.slice(0, MAX_NAMED).map((p) => ({ file: p.file, line: p.line ?? 0, value: p.reason }))

/** A check over files: it passes when no file has the problem. */
export function fileCheck(
  check: string,
  description: string,
  severity: Severity,
  problems: readonly FileProblem[],
  total: number,
  root: string,
  what = 'files',
): CheckResult {
  return {
    check,
    kind: 'dataset',
    description,
    severity,
    success: problems.length === 0,
    observed:
      problems.length === 0
        ? `none of ${total} ${what}`
        : `${problems.length} of ${total} ${what}: ${named(problems, root)}`,
    unexpectedCount: problems.length,
    unexpectedPercent: total === 0 ? 0 : Math.round((problems.length / total) * 1e6) / 1e4,
    ...(problems.length > 0 ? { examples: examples(problems) } : {}),
  }
}

/** The most common value and every image that differs from it: odd sizes or channel counts, by name. */
export function consistencyProblems(
  images: readonly ImageFacts[],
  key: (image: ImageFacts) => string,
): { common: string | undefined; problems: FileProblem[] } {
  const counts = new Map<string, number>()
  for (const image of images) counts.set(key(image), (counts.get(key(image)) ?? 0) + 1)
  let common: string | undefined
  for (const [value, count] of counts) if (common === undefined || count > counts.get(common)!) common = value
  return {
    common,
    problems: images
      .filter((i) => key(i) !== common)
      .map((i) => ({ file: i.file, reason: `${key(i)}, most are ${common}` })),
  }
}

/** Files with the same content (sha256): every copy after the first is named with the file it repeats. */
export function duplicateProblems(images: readonly ImageFacts[], root: string): FileProblem[] {
  const first = new Map<string, ImageFacts>()
  const problems: FileProblem[] = []
  for (const image of images) {
    const original = first.get(image.sha256)
    if (!original) {
      first.set(image.sha256, image)
      continue
    }
    const conflict =
      original.label !== undefined && original.label !== image.label
        ? `; labelled ${image.label}, the copy ${original.label}`
        : ''
    problems.push({ file: image.file, reason: `same content as ${relative(root, original.file)}${conflict}` })
  }
  return problems
}

/** Shares of each class: the smallest must reach `minShare`, and a class with nothing fails too. */
export function balanceCheck(
  check: string,
  description: string,
  counts: ReadonlyMap<string, number>,
  minShare: number,
  emptyClasses: readonly string[] = [],
): CheckResult {
  const total = [...counts.values()].reduce((a, b) => a + b, 0)
  const shares = [...counts].map(([value, count]) => ({ value, share: total === 0 ? 0 : count / total }))
  for (const value of emptyClasses) shares.push({ value, share: 0 })
  const minority = shares.reduce(
    (min, s) => (s.share < min.share ? s : min),
    shares[0] ?? { value: '', share: 0 },
  )
  const success = shares.length >= 2 && minority.share >= minShare
  // Rare pixel classes would all read 0.0%: keep two significant digits below 0.1%.
  const format = (share: number) =>
    share > 0 && share < 0.001 ? (share * 100).toPrecision(2) : (share * 100).toFixed(1)
  return {
    check,
    kind: 'dataset',
    description,
    severity: 'warning',
    success,
    observed:
      shares.length < 2
        ? `only one class (${minority.value})`
        : shares.map((s) => `${s.value}: ${format(s.share)}%`).join(', '),
  }
}
