import svelte from 'eslint-plugin-svelte';
import ts from 'typescript-eslint';

// Untrusted strings (names, labels, logs) render as text only: {@html} is an error, and so is
// touching the DOM's HTML sinks. Only src/lib/api may import @tauri-apps/api.
export default ts.config(
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'svelte/no-at-html-tags': 'error',
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Render untrusted text as text.' },
        { property: 'outerHTML', message: 'Render untrusted text as text.' },
        { property: 'insertAdjacentHTML', message: 'Render untrusted text as text.' },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@tauri-apps/*'], message: 'Only src/lib/api talks to Tauri.' }] },
      ],
    },
  },
  {
    files: ['src/lib/api/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  { ignores: ['dist/', 'src/lib/api/bindings/'] },
);
