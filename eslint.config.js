// Lint: the recommended rules of ESLint, typescript-eslint and eslint-plugin-svelte, plus the layering
// rules that say where code may run (the VS Code / Signal idea): the engine, the contracts and the headless
// service never import Electron; the renderer imports only the shared contracts and its own files; raw
// ipcMain / ipcRenderer only in the two files that wrap them; the shell reaches the engine only through
// core/monitor and core/ports; src/node (plain-Node helpers) imports nothing of the project.
// test/lint/layering.test.ts checks that each of these fires. Formatting is prettier's job, not lint's.
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
/** What main and preload may not import: the renderer, and any of the engine but its entry point and ports. */
const shell = [
  ...upward('The shell talks to the window through IPC, not by importing the renderer.', 'renderer'),
  {
    group: ['**/core/*', '!**/core/monitor.js', '!**/core/ports.js'],
    message: 'The shell reaches the engine only through core/monitor (openMonitor) and core/ports.',
  },
];

export default ts.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'build/**', 'resources/**', 'docs/**', 'coverage/**'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
    // {'\n'} inside a <pre> is a line break that stays one when a formatter rewraps the markup.
    rules: { 'svelte/no-useless-mustaches': ['error', { ignoreStringEscape: true }] },
  },
  {
    // Stores keep their collections in $state.raw and replace them whole, and build throwaway Dates and
    // lookup Sets; a SvelteSet or SvelteDate there would track what is never changed in place.
    files: ['**/*.svelte.ts'],
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    files: ['src/renderer/**', 'test/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            { group: ['../**'], message: 'src/node holds plain-Node helpers: it imports nothing else of the project.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            ...upward(
              'src/shared holds contracts only: it imports nothing else of the project.',
              'node',
              'core',
              'server',
              'main',
              'preload',
              'renderer',
            ),
            { group: ['node:*'], message: 'src/shared runs everywhere, the browser too: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: upward('The engine depends on nothing above it.', 'server', 'main', 'preload', 'renderer'),
        },
      ],
    },
  },
  {
    files: ['src/server/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: upward('The headless service never reaches into the desktop.', 'main', 'preload', 'renderer'),
        },
      ],
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
            ...upward(
              'The renderer speaks to the Backend interface only: it imports $shared and its own files.',
              'node',
              'core',
              'server',
              'main',
              'preload',
            ),
            {
              group: ['../**/shared/*'],
              message: 'Import the contracts as $shared/… (the alias), not by a relative path.',
            },
            { group: ['node:*'], message: 'The renderer runs in a browser sandbox: no Node modules.' },
          ],
        },
      ],
    },
  },
  // The shell: one no-restricted-imports setting per file (a later block replaces an earlier one, it does
  // not add to it), so the wrappers of raw IPC and the policy modules each get the whole list.
  {
    files: ['src/main/**'],
    ignores: ['src/main/ipc.ts', 'src/main/policy/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [rawIpc], patterns: shell }] },
  },
  {
    files: ['src/main/ipc.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: shell }] },
  },
  {
    files: ['src/main/policy/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { ...electron, message: 'Policy modules decide; they stay free of Electron so plain Node tests them.' },
          ],
          patterns: shell,
        },
      ],
    },
  },
  {
    files: ['src/preload/**'],
    ignores: ['src/preload/bridge.ts', 'src/preload/index.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [rawIpc], patterns: shell }] },
  },
  {
    files: ['src/preload/bridge.ts', 'src/preload/index.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: shell }] },
  },
);
