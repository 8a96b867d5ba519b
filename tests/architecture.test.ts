import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

/**
 * The import direction of ARCHITECTURE.md: actions -> packages -> nothing of ours; only kit (and actions) know
 * GitHub. ESLint enforces it while editing; this test reads every import so the rule cannot quietly lapse.
 */
const root = resolve(import.meta.dirname, '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path)
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : []
  })
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ]
  return specifiers.map((m) => m[1]!)
}

// A package folder whose src/ does not exist yet has nothing to import.
const packages = readdirSync(join(root, 'packages')).filter((name) =>
  existsSync(join(root, 'packages', name, 'src')),
)

describe('import direction', () => {
  it.each(packages)('packages/%s imports no action', (name) => {
    const offenders = sourceFiles(join(root, 'packages', name, 'src')).flatMap((file) =>
      importsOf(file)
        .filter((s) => s.startsWith('@mlops/action-') || /(^|\/)actions\//.test(s))
        .map((s) => `${relative(root, file)} -> ${s}`),
    )
    expect(offenders).toEqual([])
  })

  it.each(packages.filter((p) => p !== 'kit'))('packages/%s does not import @actions/*', (name) => {
    const offenders = sourceFiles(join(root, 'packages', name, 'src')).flatMap((file) =>
      importsOf(file)
        .filter((s) => s.startsWith('@actions/'))
        .map((s) => `${relative(root, file)} -> ${s}`),
    )
    expect(offenders).toEqual([])
  })

  it('finds imports at all (the scan itself works)', () => {
    const kitImports = sourceFiles(join(root, 'packages/kit/src')).flatMap(importsOf)
    expect(kitImports).toContain('@actions/core')
  })
})
