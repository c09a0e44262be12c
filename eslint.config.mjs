import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', '.data/', 'coverage/', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['bench/**', 'test/**'], rules: { 'no-console': 'off' } },
  // Tests read JSON answers loosely on purpose: the assertions check their shape.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
