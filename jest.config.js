// One jest run over the whole monorepo, so CI gets a single JSON result.
// Workspace packages map to their TypeScript sources: tests never need a build first.
export default {
  testEnvironment: '<rootDir>/jest.environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['<rootDir>/{packages,actions,examples,serve,tests}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@mlops/(kit|data|cli|report|ml|mlflow|oci|kube)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } },
    ],
  },
  testTimeout: 60000,
}
