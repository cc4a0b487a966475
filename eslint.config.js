// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Process folders: each may depend on core/ but never on another process. */
const PROCESSES = [
  'frontend',
  'job-manager',
  'global-manager',
  'discovery',
  'worker',
  'stress-client',
  'management-engine',
  'gateway',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'reports/**',
      '.data/**',
      'openapi/schema.d.ts',
      'bin/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { maxDepth: Infinity }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through core/config, not process.env.',
        },
      ],
    },
  },
  // Processes never import each other: they share only core/.
  ...PROCESSES.map((proc) => ({
    files: [`${proc}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: PROCESSES.filter((p) => p !== proc).map((p) => ({
            group: [`**/${p}/**`, `**/${p}`],
            message: `${proc}/ must not import ${p}/: processes depend only on core/.`,
          })),
        },
      ],
    },
  })),
  {
    // core/ is the shared domain: it depends on no process.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: PROCESSES.map((p) => ({
            group: [`**/${p}/**`, `**/${p}`],
            message: 'core/ must not import a process.',
          })),
        },
      ],
    },
  },
  {
    // The configuration loader, the CLI entry and tests are where the environment is read.
    files: ['core/config/**/*.ts', 'cli/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests mutate loosely typed JSON fixtures on purpose and register cases with node:test.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The web dashboard's ES modules run in the browser (type-checked with tsconfig.ui.json).
    files: ['frontend/ui/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'AbortController',
          'clearTimeout',
          'document',
          'fetch',
          'sessionStorage',
          'setTimeout',
          'TextDecoderStream',
          'window',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
