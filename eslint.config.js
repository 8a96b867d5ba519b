import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.tools/**',
      '.cache/**',
      'coverage/**',
      'reports/**',
      'bench/.data/**',
      'bench/.deps/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/actions/**', '@mlops/action-*'],
              message: 'packages must not import actions (arrows point down)',
            },
          ],
        },
      ],
    },
  },
  {
    // data, ml, mlflow, oci, kube, report take plain values: GitHub's runtime belongs to kit and the actions.
    files: ['packages/{data,report,ml,mlflow,oci,kube}/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@actions/*'], message: 'only packages/kit and actions may use @actions/*' },
            { group: ['**/actions/**', '@mlops/action-*'], message: 'packages must not import actions' },
          ],
        },
      ],
    },
  },
)
