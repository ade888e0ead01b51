// The renderer part of electron.vite.config.ts on its own, so the e2e suite can build the
// dashboard when main and preload are not needed (or not buildable) in this checkout.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = resolve(import.meta.dirname, '..', '..');

export default defineConfig({
  root: resolve(root, 'src/renderer'),
  base: './',
  resolve: { alias: { $shared: resolve(root, 'src/shared') } },
  plugins: [svelte()],
  logLevel: 'warn',
  build: {
    outDir: resolve(root, 'out/renderer'),
    emptyOutDir: true,
    rollupOptions: { input: { index: resolve(root, 'src/renderer/index.html') } },
  },
});
