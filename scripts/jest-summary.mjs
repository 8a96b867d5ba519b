// CI reads a plain `N passed, N failed` line, not jest's own summary. A run that executed no test fails.
import { readFileSync } from 'node:fs'

const results = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const {
  numPassedTests: passed,
  numFailedTests: failed,
  numPendingTests: skipped,
  numTotalTests: total,
} = results
const brokenSuites = results.numRuntimeErrorTestSuites ?? 0
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
if (total === 0) {
  console.error('jest ran no test')
  process.exit(1)
}
if (failed > 0 || brokenSuites > 0 || !results.success) {
  if (brokenSuites > 0) console.error(`${brokenSuites} test suite(s) failed to run`)
  process.exit(1)
}
