import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parsePipelineFile } from './pipeline-file.js'
import { applyOverrides, runPipeline } from './pipeline.js'

// A server that becomes ready only after a delay, and says which environment it was given.
const slowServer = `
const http = require('node:http')
const readyAt = Date.now() + 600
console.log('starting with GREETING=' + process.env.GREETING)
http.createServer((req, res) => {
  if (req.url === '/ready') { res.statusCode = Date.now() >= readyAt ? 200 : 503; return res.end() }
  res.end(process.env.GREETING)
}).listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => { console.log('stopped by SIGTERM'); process.exit(0) })
`

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-service-'))
  await writeFile(join(dir, 'server.cjs'), slowServer)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('service stages', () => {
  test('start on a free port, wait until ready, pass the URL on, and stop when the pipeline ends', async () => {
    const pipeline = parsePipelineFile(
      [
        'stages:',
        '  - id: server',
        '    service:',
        `      command: [node, ${join(dir, 'server.cjs')}]`,
        '      ready: /ready',
        '      env: { GREETING: hello }',
      ].join('\n'),
      'p.yml',
    )
    const lines: string[] = []
    const results = await runPipeline({
      pipeline,
      actionsDir: dir,
      workspace: dir,
      logDir: dir,
      write: (l) => lines.push(l),
    })
    expect(results[0]).toMatchObject({ status: 'passed', key: expect.stringMatching(/^http/) })
    const url = results[0]!.outputs.url!
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    // Stopped: nothing answers any more, and the process logged its SIGTERM.
    await expect(fetch(url)).rejects.toThrow()
    const log = await readFile(join(dir, 'server.log'), 'utf8')
    expect(log).toContain('starting with GREETING=hello')
    expect(log).toContain('stopped by SIGTERM')
  })

  test('a service that dies before it is ready fails the stage with its last log lines, and skips the rest', async () => {
    const pipeline = parsePipelineFile(
      [
        'stages:',
        '  - id: broken',
        '    service:',
        '      command: [node, -e, "console.error(\'model bundle not found: /nope\'); process.exit(3)"]',
        '  - id: after',
        '    service: { command: node -v }',
      ].join('\n'),
      'p.yml',
    )
    const results = await runPipeline({
      pipeline,
      actionsDir: dir,
      workspace: dir,
      logDir: dir,
      write: () => {},
    })
    expect(results.map((r) => r.status)).toEqual(['failed', 'skipped'])
    expect(results[0]!.summary).toContain('exited (3) before it was ready')
    expect(results[0]!.summary).toContain('model bundle not found: /nope')
  })

  test.each([
    ['stages:\n  - service: { command: x }\n', 'p.yml:2: a service stage needs an id:'],
    ['stages:\n  - id: s\n    service: { command: [] }\n', 'p.yml:2: service.command must be'],
    ['stages:\n  - id: s\n    service: { command: x, port: 1 }\n', "p.yml:2: unknown key 'port' in service"],
  ])('%j is refused at its line', (text, message) => {
    expect(() => parsePipelineFile(text, 'p.yml')).toThrow(message)
  })
})

describe('run stages', () => {
  test('run a command line in the workspace, with earlier outputs substituted; a failure shows its last lines', async () => {
    const pipeline = parsePipelineFile(
      [
        'stages:',
        '  - id: make',
        '    run: echo built > made.txt',
        '  - id: check',
        '    run: test "$(cat made.txt)" = built && echo "no such model" >&2 && exit 4',
        '  - id: never',
        '    run: touch never.txt',
      ].join('\n'),
      'p.yml',
    )
    const results = await runPipeline({
      pipeline,
      actionsDir: dir,
      workspace: dir,
      logDir: dir,
      write: () => {},
    })
    expect(results.map((r) => r.status)).toEqual(['passed', 'failed', 'skipped'])
    expect(await readFile(join(dir, 'made.txt'), 'utf8')).toBe('built\n')
    expect(results[1]!.summary).toContain('exited with 4')
    expect(results[1]!.summary).toContain('no such model')
    await expect(readFile(join(dir, 'never.txt'))).rejects.toThrow()
  })

  test('run: with uses: is refused at its line', () => {
    expect(() => parsePipelineFile('stages:\n  - uses: train\n    run: x\n', 'p.yml')).toThrow(
      'p.yml:2: run: is a command line, in a stage without uses: or service:',
    )
  })
})

describe('--set overrides', () => {
  const pipeline = parsePipelineFile(
    'stages:\n  - id: train\n    uses: train\n    with: { seed: 1 }\n',
    'p.yml',
  )

  test('replace or add a stage input without touching the file', () => {
    const changed = applyOverrides(pipeline, ['train.seed=7', 'train.params={"max_iter": 2}'])
    expect(changed.stages[0]!.with).toEqual({ seed: '7', params: '{"max_iter": 2}' })
    expect(pipeline.stages[0]!.with).toEqual({ seed: '1' })
  })

  test.each([
    ['gate.verdict=x', "no stage 'gate'; stages: train"],
    ['train-seed', 'expected <stage>.<input>=<value>'],
  ])('%s is refused', (pair, message) => {
    expect(() => applyOverrides(pipeline, [pair])).toThrow(message)
  })
})
