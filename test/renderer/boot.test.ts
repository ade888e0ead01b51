// public/boot.js (loaded async beside the bundle) and HttpBackend hand the first pair list over once:
// whichever runs second does not ask the service again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpBackend } from '../../src/renderer/src/lib/backend/http';

const BOOT = readFileSync(join(import.meta.dirname, '../../src/renderer/public/boot.js'), 'utf8');
const runBoot = () => new Function(BOOT)() as void;

let fetched: string[];

beforeEach(() => {
  fetched = [];
  delete window.__pbxFirstPairs;
  sessionStorage.clear();
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) => {
      fetched.push(url);
      return Promise.resolve(new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } }));
    }),
  );
  window.location.hash = '#token=s3cret';
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete window.__pbxFirstPairs;
  window.location.hash = '';
});

describe('first pair list', () => {
  it('boot.js asks for the list in columns with the token of the address, and the backend takes that answer', async () => {
    runBoot();
    expect(fetched).toEqual(['/api/pairs?format=columns']);
    expect(window.__pbxFirstPairs?.token).toBe('s3cret');
    const backend = new HttpBackend({ token: 's3cret' });
    await expect(backend.listPairs()).resolves.toEqual([]);
    expect(fetched).toHaveLength(1);
    expect(window.__pbxFirstPairs).toBeNull();
  });

  it('boot.js running after the bundle asked for the list itself asks for nothing', async () => {
    const backend = new HttpBackend({ token: 's3cret' });
    await backend.listPairs();
    expect(fetched).toEqual(['/api/pairs?format=columns']);
    runBoot();
    expect(fetched).toHaveLength(1);
  });

  it('an early answer for another token is not used', async () => {
    runBoot();
    const backend = new HttpBackend({ token: 'other' });
    await backend.listPairs();
    expect(fetched).toEqual(['/api/pairs?format=columns', '/api/pairs?format=columns']);
  });
});
