// Where the checkout or installed package lives, found from this file rather than the working
// directory: the same code runs from src/server (tsx, tests) and from out/node/server (built).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'pbx-failover-monitor';

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readManifest(manifest).name === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package above ${start}`);
  }
}

function readManifest(path: string): { name?: string; version?: string } {
  return JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
}

const packageRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export const packageVersion: string = readManifest(join(packageRoot, 'package.json')).version ?? '0.0.0';

/** The dashboard as built by electron-vite; the service serves it to browsers. */
export const rendererDir: string = join(packageRoot, 'out', 'renderer');
