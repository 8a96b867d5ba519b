// How fast is data-qa's profile next to the tools people would otherwise reach for? One run, same file, same
// machine: our one-pass profile (packages/data), the whole data-qa pass with the example's expectations,
// DuckDB's SUMMARIZE (@duckdb/node-api, installed into bench/.deps only for this benchmark) and pandas
// read_csv + describe(include='all') (Debian's python3-pandas). Every run is a fresh process; the runs are
// interleaved and repeated, and the median is reported, so a busy neighbour hurts every tool alike.
//
//   node bench/profile-vs-duckdb.mjs [--rows 1000000] [--repeat 3] [--data-dir DIR] [--out bench/profile-vs-duckdb.md]
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const self = fileURLToPath(import.meta.url)
const depsDir = join(root, 'bench', '.deps')
const PYTHON = '/usr/bin/python3'
const DUCKDB_VERSION = '1.5.6-r.1'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '3' },
    'data-dir': { type: 'string', default: join(tmpdir(), 'mlops-bench') },
    out: { type: 'string', default: join(root, 'bench', 'profile-vs-duckdb.md') },
    child: { type: 'string' },
    tool: { type: 'string' },
  },
})

const TOOLS = [
  { tool: 'profile', label: 'mlops profile (packages/data, 1 thread)' },
  { tool: 'data-qa', label: 'mlops data-qa: profile + 16 expectations + 4 dataset checks (1 thread)' },
  { tool: 'duckdb-2', label: 'DuckDB SUMMARIZE, 2 threads' },
  { tool: 'duckdb-1', label: 'DuckDB SUMMARIZE, 1 thread' },
  { tool: 'pandas', label: "pandas read_csv + describe(include='all')" },
]

if (values.child) await child(values.child, values.tool)
else await parent()

/** One tool over one file in this process; prints one JSON line with seconds and peak RSS. */
async function child(file, tool) {
  const started = performance.now()
  let check
  if (tool === 'profile') {
    const { openTable } = await import(pathToFileURL(join(root, 'packages/data/src/open-table.ts')).href)
    const { readBatches } = await import(pathToFileURL(join(root, 'packages/data/src/batch.ts')).href)
    const { ProfileBuilder } = await import(pathToFileURL(join(root, 'packages/data/src/profile.ts')).href)
    const reader = await openTable(file)
    const builder = new ProfileBuilder(reader.columns)
    for await (const batch of readBatches(reader)) builder.addBatch(batch)
    const profile = builder.finish()
    check = { rows: profile.rows, ageMean: profile.columns.find((c) => c.name === 'age')?.numeric?.mean }
  } else if (tool === 'data-qa') {
    const data = await import(pathToFileURL(join(root, 'packages/data/src/index.ts')).href)
    const suite = await data.readExpectationSuite(join(root, 'examples/readmission/expectations.yml'))
    const report = await data.runDataQa({ datasets: [file], suite, labelColumn: 'readmitted_30d' })
    const age = report.profile.columns.find((c) => c.name === 'age')
    check = { rows: report.summary.rows, ageMean: age?.numeric?.mean, status: report.status }
  } else if (tool.startsWith('duckdb')) {
    const require = createRequire(join(depsDir, 'package.json'))
    const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)
    const threads = tool.split('-')[1]
    const db = await DuckDBInstance.create(':memory:', { threads })
    const connection = await db.connect()
    const result = await connection.runAndReadAll(
      `SUMMARIZE SELECT * FROM read_csv('${file.replaceAll("'", "''")}')`,
    )
    const age = result.getRowObjects().find((row) => row.column_name === 'age')
    check = { rows: Number(age.count), ageMean: Number(age.avg) }
  } else {
    throw new Error(`unknown tool ${tool}`)
  }
  const seconds = (performance.now() - started) / 1000
  console.log(JSON.stringify({ seconds, maxRssKb: process.resourceUsage().maxRSS, ...check }))
}

function pandas(file) {
  const script = `
import json, resource, sys, time
started = time.perf_counter()
import pandas as pd
df = pd.read_csv(sys.argv[1])
summary = df.describe(include='all')
seconds = time.perf_counter() - started
print(json.dumps({'seconds': seconds, 'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  'rows': int(len(df)), 'ageMean': float(summary.loc['mean', 'age'])}))
`
  const run = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`pandas failed:\n${run.stderr}`)
  return JSON.parse(run.stdout.trim().split('\n').pop())
}

function ensureTools() {
  const require = createRequire(join(depsDir, 'package.json'))
  try {
    require.resolve('@duckdb/node-api')
  } catch {
    // Kept out of the workspace: DuckDB is a yardstick here, not a dependency of anything we ship.
    console.log(`installing @duckdb/node-api@${DUCKDB_VERSION} into ${relative(root, depsDir)}`)
    mkdirSync(depsDir, { recursive: true })
    if (!existsSync(join(depsDir, 'package.json')))
      writeFileSync(join(depsDir, 'package.json'), '{"private":true}\n')
    execFileSync('npm', ['install', '--no-audit', '--no-fund', `@duckdb/node-api@${DUCKDB_VERSION}`], {
      cwd: depsDir,
      stdio: 'inherit',
    })
  }
  const probe = spawnSync(PYTHON, ['-c', 'import pandas; print(pandas.__version__)'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import pandas: install Debian's python3-pandas (apt-get install -y python3-pandas)`,
    )
  }
  const duckdb = JSON.parse(readFileSync(join(depsDir, 'node_modules/@duckdb/node-api/package.json'), 'utf8'))
  return { pandas: probe.stdout.trim(), duckdb: duckdb.version }
}

async function parent() {
  const rows = Number(values.rows)
  const repeat = Number(values.repeat)
  const versions = ensureTools()
  const dataDir = resolve(values['data-dir'])
  const file = join(dataDir, `readmission-${rows}.csv`)
  if (!existsSync(file)) {
    console.log(`generating ${file}`)
    mkdirSync(dataDir, { recursive: true })
    execFileSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'examples/src/generate.ts'), '--rows', String(rows), '--out', file],
      { cwd: root, stdio: 'inherit' },
    )
  }
  const runs = new Map(TOOLS.map((t) => [t.tool, []]))
  for (let round = 0; round < repeat; round++) {
    for (const { tool } of TOOLS) {
      let result
      if (tool === 'pandas') result = pandas(file)
      else {
        const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', file, '--tool', tool], {
          cwd: root,
          encoding: 'utf8',
        })
        if (run.status !== 0) throw new Error(`${tool} failed on ${file}:\n${run.stderr}`)
        result = JSON.parse(run.stdout.trim().split('\n').pop())
      }
      // Every tool must have read every row and agree on a mean, or its time means nothing.
      if (result.rows !== rows) throw new Error(`${tool} saw ${result.rows} rows, expected ${rows}`)
      console.log(JSON.stringify({ round, tool, ...result }))
      runs.get(tool).push(result)
    }
  }
  const means = TOOLS.map(({ tool }) => runs.get(tool)[0].ageMean)
  if (means.some((m) => Math.abs(m - means[0]) > 1e-6 * Math.abs(means[0]))) {
    throw new Error(`the tools disagree on mean(age): ${means.join(', ')}`)
  }
  writeFileSync(values.out, report(runs, file, rows, repeat, versions))
  console.log(`wrote ${relative(process.cwd(), values.out)}`)
}

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function report(runs, file, rows, repeat, versions) {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown'
  const cpus = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(availableParallelism())
  const header = readFileSync(file, 'utf8').slice(0, 4096).split('\n')[0].split(',')
  const mib = (kb) => `${(kb / 1024).toFixed(0)} MiB`
  const stat = (tool) => {
    const results = runs.get(tool)
    return {
      seconds: median(results.map((r) => r.seconds)),
      all: results.map((r) => r.seconds.toFixed(2)).join(', '),
      rss: Math.max(...results.map((r) => r.maxRssKb)),
    }
  }
  const ours = stat('profile')
  const duck = stat('duckdb-2')
  const pd = stat('pandas')
  const verdicts = [
    [
      `within 2x of DuckDB SUMMARIZE (2 threads)`,
      ours.seconds <= 2 * duck.seconds,
      `${(ours.seconds / duck.seconds).toFixed(2)}x`,
    ],
    [
      'faster than pandas describe()',
      ours.seconds < pd.seconds,
      `${(pd.seconds / ours.seconds).toFixed(2)}x faster`,
    ],
    ['peak RSS below 256 MB', ours.rss * 1024 < 256e6, mib(ours.rss)],
  ]
  const args = process.argv.slice(2).join(' ')
  return [
    '# Profile speed: data-qa vs DuckDB SUMMARIZE vs pandas describe()',
    '',
    `One ${rows.toLocaleString('en-US')}-row x ${header.length}-column CSV (${(statSync(file).size / 1024 ** 2).toFixed(0)} MiB, ` +
      '`examples/src/generate.ts`: 21 numeric, 10 categorical, an id and a 0/1 target, some nulls), read from the',
    'page cache. Each tool runs in a fresh process; the tools take turns, ' +
      `${repeat} rounds, and the table shows the median time and the highest peak RSS.`,
    'Every tool must report all rows and the same mean of `age`, or the run is rejected.',
    '',
    '- **mlops profile**: `openTable` + `ProfileBuilder.addBatch` (types, nulls, mean/std, KLL quantiles, histogram,',
    '  HyperLogLog distinct counts, top values), what data-qa does for its profile. One JS thread.',
    '- **mlops data-qa**: `runDataQa` with `examples/readmission/expectations.yml` (16 expectations, duplicate rows,',
    '  constant columns, label balance), the whole action minus writing reports.',
    `- **DuckDB** ${versions.duckdb}: \`SUMMARIZE SELECT * FROM read_csv(file)\` (type sniffing, min/max, approx`,
    '  unique, avg, std, q25/q50/q75, count, null %).',
    `- **pandas** ${versions.pandas}: \`pd.read_csv(file).describe(include='all')\`, import time included.`,
    '',
    `Machine: ${cpus} CPUs (\`nproc\`), ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory, Node ${process.version}.`,
    '',
    'Command:',
    '',
    '```sh',
    `node bench/profile-vs-duckdb.mjs${args ? ` ${args}` : ''}`,
    '```',
    '',
    '| tool | median seconds | runs (s) | rows/s | peak RSS |',
    '| --- | ---: | --- | ---: | ---: |',
    ...TOOLS.map(({ tool, label }) => {
      const s = stat(tool)
      return `| ${label} | ${s.seconds.toFixed(2)} | ${s.all} | ${Math.round(rows / s.seconds).toLocaleString('en-US')} | ${mib(s.rss)} |`
    }),
    '',
    'Targets (issue 3), for the profile:',
    '',
    '| target | met | measured |',
    '| --- | --- | --- |',
    ...verdicts.map(([target, met, measured]) => `| ${target} | ${met ? 'yes' : '**no**'} | ${measured} |`),
    '',
  ].join('\n')
}
