// Does profiling a CSV stay in bounded memory? Generates (or reuses) readmission CSVs of growing size, profiles
// each in a fresh child process (so one run's heap never inflates the next one's peak RSS), and writes the
// numbers to bench/profile-memory.md.
//
//   node bench/profile-memory.mjs [--rows 1000000,5000000] [--data-dir DIR] [--out bench/profile-memory.md]
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const self = fileURLToPath(import.meta.url)

// The capped run shows the memory is bounded by construction: a profile that grew with the rows would die of
// heap exhaustion under a 64 MiB old space, and an 8 MiB young generation stops V8 from enlarging it over a long
// run (which is what makes the default runs' peak RSS creep up).
const CAPPED_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=64']
const RUNS = [
  { mode: 'read', flags: [] },
  { mode: 'profile', flags: [] },
  { mode: 'profile', flags: CAPPED_FLAGS },
]

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000,5000000' },
    'data-dir': { type: 'string', default: join(tmpdir(), 'mlops-bench') },
    out: { type: 'string', default: join(root, 'bench', 'profile-memory.md') },
    child: { type: 'string' },
    mode: { type: 'string', default: 'profile' },
  },
})

if (values.child) await child(values.child, values.mode)
else await parent()

/** Reads (and in 'profile' mode profiles) one file, then prints one JSON line for the parent. */
async function child(file, mode) {
  const { openTable } = await import(pathToFileURL(join(root, 'packages/data/src/open-table.ts')).href)
  const { ProfileBuilder } = await import(pathToFileURL(join(root, 'packages/data/src/profile.ts')).href)
  const { readBatches } = await import(pathToFileURL(join(root, 'packages/data/src/batch.ts')).href)
  const started = performance.now()
  const reader = await openTable(file)
  const builder = mode === 'profile' ? new ProfileBuilder(reader.columns) : undefined
  let rows = 0
  // Batches, as data-qa reads: the profile takes CSV cells straight from the parse buffer.
  for await (const batch of readBatches(reader)) {
    builder?.addBatch(batch)
    rows += batch.length
  }
  builder?.finish()
  const seconds = (performance.now() - started) / 1000
  // What the pass keeps alive (the profile state), as opposed to garbage the collector has not returned yet.
  globalThis.gc?.()
  const liveHeapBytes = process.memoryUsage().heapUsed
  // Asked after the GC, so the builder and its sketches were still alive when the heap was measured.
  const median = builder?.quantile(reader.columns[1], 0.5)
  console.log(
    JSON.stringify({ rows, seconds, maxRssKb: process.resourceUsage().maxRSS, liveHeapBytes, median }),
  )
}

async function parent() {
  const sizes = values.rows.split(',').map(Number)
  const dataDir = resolve(values['data-dir'])
  const generator = join(root, 'examples/src/generate.ts')
  if (!existsSync(generator)) throw new Error(`${generator} is missing: it writes the benchmark data`)
  const results = []
  for (const rows of sizes) {
    const file = join(dataDir, `readmission-${rows}.csv`)
    if (!existsSync(file)) {
      console.log(`generating ${file}`)
      execFileSync(process.execPath, ['--import', 'tsx', generator, '--rows', String(rows), '--out', file], {
        cwd: root,
        stdio: 'inherit',
      })
    }
    const bytes = statSync(file).size
    for (const run of RUNS) {
      const child = spawnSync(
        process.execPath,
        [...run.flags, '--expose-gc', '--import', 'tsx', self, '--child', file, '--mode', run.mode],
        { cwd: root, encoding: 'utf8' },
      )
      if (child.status !== 0) throw new Error(`child failed on ${file}:\n${child.stderr}`)
      const result = { ...JSON.parse(child.stdout.trim().split('\n').pop()), bytes, ...run }
      console.log(JSON.stringify(result))
      results.push(result)
    }
  }
  writeFileSync(values.out, report(results, dataDir))
  console.log(`wrote ${relative(process.cwd(), values.out)}`)
}

function report(results, dataDir) {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown'
  const cpus = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(availableParallelism())
  const gib = (bytes) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`
  const mib = (bytes) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`
  const number = (x) => Math.round(x).toLocaleString('en-US')
  const rss = (result) => mib(result.maxRssKb * 1024)
  const defaults = results.filter((result) => result.mode === 'profile' && result.flags.length === 0)
  const capped = results.filter((result) => result.mode === 'profile' && result.flags.length > 0)
  const [first, last] = [capped[0], capped[capped.length - 1]]
  const rowGrowth = last.rows / first.rows
  const growth = last.maxRssKb / first.maxRssKb
  const verdict = growth < 1.25 ? 'does not grow' : 'grows'
  const conclusion =
    `Conclusion: peak RSS ${verdict} with the row count. With the heap capped, ${number(rowGrowth)}x the rows took ` +
    `${growth.toFixed(2)}x the peak RSS (${rss(first)} -> ${rss(last)}) and the live heap stayed at ` +
    `${mib(first.liveHeapBytes)} -> ${mib(last.liveHeapBytes)}; with default flags peak RSS went ` +
    `${rss(defaults[0])} -> ${rss(defaults[defaults.length - 1])} because V8 grows its heap ` +
    '(mostly the young generation) during a long run, not because the profile keeps more data.'
  const args = process.argv.slice(2).join(' ')
  return [
    '# Profile memory benchmark',
    '',
    'One pass of `openTable` + `ProfileBuilder` (packages/data) over a synthetic 33-column hospital-readmission CSV',
    '(`examples/src/generate.ts`: 21 numeric, 10 categorical, an id and a 0/1 target, some nulls). Each run is a fresh',
    'child process; "read" only streams the records, "profile" also builds the full profile (types, nulls, Welford',
    'moments, KLL quantiles and histogram, HyperLogLog distinct counts, Misra-Gries top values).',
    '',
    `Machine: ${cpus} CPUs (\`nproc\`), ${cpu}, ${gib(totalmem())} memory, Node ${process.version}.`,
    '',
    'Command:',
    '',
    '```sh',
    `node bench/profile-memory.mjs${args ? ` ${args}` : ''}`,
    '```',
    '',
    `Data files under \`${dataDir}\` (generated on first run, reused after).`,
    '',
    '| pass | node flags | rows | file size | seconds | rows/s | peak RSS | live heap at end |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (result) =>
        `| ${result.mode} | ${result.flags.map((flag) => `\`${flag}\``).join(' ') || 'default'} | ` +
        `${number(result.rows)} | ${mib(result.bytes)} | ${result.seconds.toFixed(1)} | ` +
        `${number(result.rows / result.seconds)} | ${rss(result)} | ${mib(result.liveHeapBytes)} |`,
    ),
    '',
    'Peak RSS is `process.resourceUsage().maxRSS` of the child (Node + tsx alone take about 65 MiB); live heap is',
    '`heapUsed` after a forced full GC at the end, with the profile state still referenced. The capped run limits',
    'the young generation to 8 MiB and the old space to 64 MiB: a profile whose memory grew with the rows would',
    'run out of heap there.',
    '',
    conclusion,
    '',
  ].join('\n')
}
