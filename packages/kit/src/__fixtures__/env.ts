// Tests set INPUT_* and GITHUB_* variables; this puts process.env back so tests stay independent.
export function restoreEnvAfterEach(): void {
  let saved: NodeJS.ProcessEnv = {}
  beforeEach(() => {
    saved = { ...process.env }
    for (const name of Object.keys(process.env)) {
      // A CI runner's own values would leak into tests that expect these unset.
      if (name.startsWith('INPUT_') || name.startsWith('GITHUB_')) delete process.env[name]
    }
  })
  afterEach(() => {
    for (const name of Object.keys(process.env)) {
      if (!(name in saved)) delete process.env[name]
    }
    Object.assign(process.env, saved)
  })
}
