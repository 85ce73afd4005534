// Type-aware linting (typescript-eslint's recommended set with type information).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.azurite/',
      'coverage/',
      'test-output/',
      'infra/bicep-cli/',
      'bin/',
      '**/*.mjs',
      '**/*.js',
      // The page's modules are linted below, as browser scripts.
      '!web/js/**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The page: plain ES modules run by the browser as they are, so no type information.
    files: ['web/js/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'XMLHttpRequest',
          'URL',
          'Blob',
          'crypto',
          'sessionStorage',
          'localStorage',
          'setTimeout',
          'clearTimeout',
          'indexedDB',
          'createImageBitmap',
          'OffscreenCanvas',
          'URLSearchParams',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The page's modules are untyped JS: what their tests get back from them is `any`.
    files: ['test/web/js/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
