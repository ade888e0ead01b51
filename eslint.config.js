// Lint: the recommended rules of ESLint, typescript-eslint and eslint-plugin-svelte, plus the layering
// rules that say where code may run (the VS Code / Signal idea): the engine, the contracts and the headless
// service never import Electron; the renderer imports only the shared contracts and its own files; raw
// ipcMain / ipcRenderer only in the two files that wrap them. Formatting is prettier's job, not lint's.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

const electron = { name: 'electron', message: 'Only src/main and src/preload may use Electron.' };
const rawIpc = {
  name: 'electron',
  importNames: ['ipcMain', 'ipcRenderer'],
  message: 'Use the typed wrappers (src/main/ipc.ts, src/preload/bridge.ts): raw IPC only there.',
};
const upward = (message, ...folders) => folders.map((f) => ({ group: [`**/${f}/**`, `**/${f}`], message }));

export default ts.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'build/**', 'resources/**', 'docs/**', 'coverage/**'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['src/renderer/**', 'test/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            ...upward('src/shared holds contracts only: it imports nothing else of the project.', 'core', 'server', 'main', 'preload', 'renderer'),
            { group: ['node:*'], message: 'src/shared runs everywhere, the browser too: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [electron], patterns: upward('The engine depends on nothing above it.', 'server', 'main', 'preload', 'renderer') }],
    },
  },
  {
    files: ['src/server/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [electron], patterns: upward('The headless service never reaches into the desktop.', 'main', 'preload', 'renderer') }],
    },
  },
  {
    files: ['src/renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            ...upward('The renderer speaks to the Backend interface only: it imports $shared and its own files.', 'core', 'server', 'main', 'preload'),
            { group: ['../**/shared/*'], message: 'Import the contracts as $shared/… (the alias), not by a relative path.' },
            { group: ['node:*'], message: 'The renderer runs in a browser sandbox: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**', 'src/preload/**'],
    ignores: ['src/main/ipc.ts', 'src/preload/bridge.ts', 'src/preload/index.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [rawIpc], patterns: upward('The shell reaches the engine only through openMonitor and the ports.', 'renderer') }] },
  },
  {
    files: ['src/main/policy/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ ...electron, message: 'Policy modules decide; they stay free of Electron so plain Node tests them.' }] }],
    },
  },
);
