import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFakeBundle } from '../../../packages/oci/src/__fixtures__/model-bundle.js'
import { dockerBuildArgs, dockerLoginArgs, dockerRunner } from '../src/docker-build.js'
import { removeRunnerTemp, runMain } from './main-harness.js'

const PASSWORD = 'ghp_docker-mode-password-9f8e7d'
const DIGEST = `sha256:${'c'.repeat(64)}`
let work: string
let calls: string

/**
 * A stand-in `docker` executable (no daemon can run here): it records each call's argv and stdin, answers
 * `info` like a daemon would, and writes buildx's metadata file. Testing through a real process is the point:
 * what it records is exactly what `ps` would show.
 */
const FAKE_DOCKER = `#!/bin/sh
n=$(ls "$FAKE_DOCKER_CALLS" | grep -c args)
printf '%s\\n' "$@" > "$FAKE_DOCKER_CALLS/$n.args"
cat > "$FAKE_DOCKER_CALLS/$n.stdin"
case "$1" in
  info) echo 27.3.1 ;;
  login) echo "Login Succeeded" ;;
  buildx)
    while [ $# -gt 0 ]; do
      if [ "$1" = --metadata-file ]; then echo '{"containerimage.digest":"${DIGEST}"}' > "$2"; fi
      shift
    done
    echo "#12 pushing layers done" ;;
esac
`

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecr-push-docker-'))
  calls = join(work, 'calls')
  await mkdir(calls)
  await writeFile(join(work, 'docker'), FAKE_DOCKER)
  await chmod(join(work, 'docker'), 0o755)
  await mkdir(join(work, 'ws', 'model'), { recursive: true })
  await writeFakeBundle(join(work, 'ws', 'model'), 1000)
  await mkdir(join(work, 'repo', 'serve'), { recursive: true })
  await writeFile(join(work, 'repo', 'serve', 'Dockerfile'), 'FROM scratch\n')
})
afterAll(async () => {
  await removeRunnerTemp()
  await rm(work, { recursive: true, force: true })
})

describe('docker mode', () => {
  it('builds the argument lists: login reads the password from stdin; buildx gets the bundle as named context', () => {
    expect(dockerLoginArgs('ghcr.io', 'bot')).toEqual([
      'login',
      '--username',
      'bot',
      '--password-stdin',
      'ghcr.io',
    ])
    expect(
      dockerBuildArgs({
        dockerfile: '/r/serve/Dockerfile',
        context: '/r',
        bundle: '/w/model',
        references: ['ghcr.io/o/m:1', 'ghcr.io/o/m:latest'],
        platforms: ['linux/amd64', 'linux/arm64'],
        labels: { 'io.mlops.model.name': 'm' },
        metadataFile: '/t/meta.json',
      }),
    ).toEqual([
      'buildx', 'build', '--file', '/r/serve/Dockerfile', '--build-context', 'model=/w/model', '--build-arg', 'MODEL_URI=/model',
      '--platform', 'linux/amd64,linux/arm64', '--label', 'io.mlops.model.name=m', '--tag', 'ghcr.io/o/m:1', '--tag', 'ghcr.io/o/m:latest',
      '--metadata-file', '/t/meta.json', '--provenance=false', '--push', '/r',
    ]) // prettier-ignore
  })

  it('auto mode with a daemon: info, login via stdin only, buildx push; the digest comes from the metadata file', async () => {
    process.env.FAKE_DOCKER_CALLS = calls
    const run = await runMain(
      {
        bundle: 'model',
        repository: 'ghcr.io/acme/readmission',
        tags: '4',
        platforms: 'linux/amd64',
        'registry-username': 'bot',
        'registry-password': PASSWORD,
        'model-version': '4',
      },
      join(work, 'ws'),
      { docker: dockerRunner(join(work, 'docker')), actionRoot: join(work, 'repo') },
    )
    delete process.env.FAKE_DOCKER_CALLS
    expect(run.stdout).toContain('Build mode: docker (auto)')
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatch(new RegExp(`image<<.*\\nghcr\\.io/acme/readmission@${DIGEST}`))
    const names = (await readdir(calls)).filter((f) => f.endsWith('.args')).sort()
    const argv = await Promise.all(
      names.map(async (f) => (await readFile(join(calls, f), 'utf8')).trim().split('\n')),
    )
    const stdin = await Promise.all(
      names.map((f) => readFile(join(calls, f.replace('.args', '.stdin')), 'utf8')),
    )
    expect(argv.map((a) => a[0])).toEqual(['info', 'login', 'buildx'])
    expect(argv[1]).toEqual(['login', '--username', 'bot', '--password-stdin', 'ghcr.io'])
    expect(stdin[1]).toBe(PASSWORD)
    expect(argv.flat().some((a) => a.includes(PASSWORD))).toBe(false)
    expect(stdin[2]).toBe('')
    const build = argv[2]!
    expect(build.slice(0, 6)).toEqual([
      'buildx',
      'build',
      '--file',
      join(work, 'repo', 'serve', 'Dockerfile'),
      '--build-context',
      `model=${join(work, 'ws', 'model')}`,
    ])
    expect(build).toContain('io.mlops.model.version=4')
    expect(build).toContain('ghcr.io/acme/readmission:4')
    expect(build.at(-1)).toBe(join(work, 'repo'))
    expect(
      run.stdout.split('\n').filter((l) => l.includes(PASSWORD) && !l.startsWith('::add-mask::')),
    ).toEqual([])
  })
})
