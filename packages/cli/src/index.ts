export * from './action-manifest.js'
export * from './input-env.js'
export * from './runner-files.js'
export * from './run-action.js'
