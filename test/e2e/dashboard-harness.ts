// The end-to-end bed for the dashboard: the real headless service (serving the
// renderer build) with loopback primaries, a validation site and an action
// receiver, and a real headless Chromium driven by playwright-core.

import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/service-harness.js';

export const RENDERER_DIR = join(REPO_ROOT, 'out', 'renderer');

export interface PairXmlOptions {
  id: string;
  name: string;
  primaryUrl: string;
  standbyUrl?: string | undefined;
  interval: number;
  tolerated: number;
  /** Seconds a check may take; default 2 s, generous for a loaded test machine. */
  timeout?: number;
  validationUrl?: string;
  actionUrl: string;
  actionBody?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function pairXml(p: PairXmlOptions): string {
  return [
    `  <pair id="${p.id}">`,
    `    <name>${esc(p.name)}</name>`,
    `    <primary-url>${esc(p.primaryUrl)}</primary-url>`,
    p.standbyUrl ? `    <standby-url>${esc(p.standbyUrl)}</standby-url>` : '',
    `    <interval>${p.interval}</interval>`,
    `    <tolerated-failures>${p.tolerated}</tolerated-failures>`,
    `    <timeout>${p.timeout ?? 2}</timeout>`,
    // Without a validation URL, isolation protection is turned off in so many words (quorum="0").
    p.validationUrl
      ? `    <validation quorum="1"><url>${esc(p.validationUrl)}</url></validation>`
      : '    <validation quorum="0"/>',
    `    <action method="POST" encoding="json" retries="3" timeout="2">`,
    `      <url>${esc(p.actionUrl)}</url>`,
    `      <body>${esc(p.actionBody ?? '{"pair":"{pair}","to":"{to}","reason":"{reason}"}')}</body>`,
    `    </action>`,
    `  </pair>`,
  ]
    .filter(Boolean)
    .join('\n');
}

export function configXml(pairs: PairXmlOptions[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<pbxctrl-failover version="1">\n${pairs.map(pairXml).join('\n')}\n</pbxctrl-failover>\n`;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `npm test` builds before vitest; a lone `vitest run --project e2e` builds the renderer when it is missing or stale. */
export function ensureRendererBuilt(): void {
  const index = join(RENDERER_DIR, 'index.html');
  const sources = Math.max(
    newestMtime(join(REPO_ROOT, 'src', 'renderer')),
    newestMtime(join(REPO_ROOT, 'src', 'shared')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      join(REPO_ROOT, 'test', 'e2e', 'renderer.vite.config.ts'),
    ],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Console errors and CSP violations collected from a page, so a test can prove there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return errors;
}
