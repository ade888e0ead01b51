// app:// on real files: the built renderer folder is served with the CSP, and
// nothing outside it is, however the path is spelled.

import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerAppRequest, resolveAppFile } from '../../src/main/policy/app-files.js';
import { CSP_HEADER_VALUE } from '../../src/main/policy/csp.js';

let root: string;
let rendererDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pbx-app-protocol-'));
  rendererDir = join(root, 'out', 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>PBX</title>');
  await writeFile(join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(rendererDir, 'assets', 'odd name.css'), 'body{}');
  // What must never be served: the serverdir next door, a sibling folder whose name starts the same.
  await writeFile(join(root, 'out', 'pbxctrl-failover.xml'), '<pass>hunter2</pass>');
  await mkdir(join(root, 'out', 'renderer-secrets'));
  await writeFile(join(root, 'out', 'renderer-secrets', 'x.txt'), 'hunter2');
  await symlink(join(root, 'out', 'pbxctrl-failover.xml'), join(rendererDir, 'assets', 'link.xml'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const get = (url: string, method = 'GET') => answerAppRequest(new Request(url, { method }), rendererDir);

describe('app:// serves the built renderer', () => {
  it('answers the page and its assets with their types, the CSP and nosniff', async () => {
    const page = await get('app://renderer/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CSP_HEADER_VALUE);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>PBX</title>');
    const script = await get('app://renderer/assets/index-abc.js?v=1#x');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log(1)');
    expect(await (await get('app://renderer/assets/odd%20name.css')).text()).toBe('body{}');
  });

  it.each([
    ['dot segments', 'app://renderer/../pbxctrl-failover.xml'],
    ['encoded dot segments', 'app://renderer/%2e%2e/pbxctrl-failover.xml'],
    ['mixed-case encoded dots', 'app://renderer/assets/%2E%2e/%2e%2E/pbxctrl-failover.xml'],
    ['an encoded slash', 'app://renderer/assets/..%2f..%2fpbxctrl-failover.xml'],
    ['an encoded backslash', 'app://renderer/assets/..%5c..%5cpbxctrl-failover.xml'],
    ['a raw backslash', 'app://renderer/assets\\..\\..\\pbxctrl-failover.xml'],
    ['a double-encoded dot segment', 'app://renderer/%252e%252e/pbxctrl-failover.xml'],
    ['an absolute path in the path', 'app://renderer//etc/passwd'],
    ['an encoded absolute path', 'app://renderer/%2fetc%2fpasswd'],
    ['a NUL byte', 'app://renderer/index.html%00.js'],
    ['a Windows drive', 'app://renderer/C:%5cWindows%5cwin.ini'],
    ['malformed percent-encoding', 'app://renderer/%ff%zz'],
    ['a sibling folder with the same prefix', 'app://renderer/../renderer-secrets/x.txt'],
    ['a symlink leading out', 'app://renderer/assets/link.xml'],
    ['another host', 'app://elsewhere/index.html'],
    ['the folder itself', 'app://renderer/'],
    ['a missing file', 'app://renderer/nope.js'],
    ['a folder', 'app://renderer/assets'],
  ])('refuses %s', async (_what, url) => {
    const answer = await get(url);
    expect(answer.status === 400 || answer.status === 404, `${url} -> ${answer.status}`).toBe(true);
    expect(await answer.text()).not.toContain('hunter2');
    expect(answer.headers.get('content-security-policy')).toBe(CSP_HEADER_VALUE);
  });

  it('never resolves outside the folder, whatever Chromium or Node makes of the URL', async () => {
    for (const url of [
      'app://renderer/%2e%2e/%2e%2e/etc/passwd',
      'app://renderer/assets/%2e%2e%2f%2e%2e%2fpbxctrl-failover.xml',
    ]) {
      expect(await resolveAppFile(url, rendererDir)).toMatchObject({ ok: false });
    }
    expect(await resolveAppFile('app://renderer/index.html', rendererDir)).toEqual({
      ok: true,
      file: join(rendererDir, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
  });

  it('answers only GET and HEAD', async () => {
    expect((await get('app://renderer/index.html', 'POST')).status).toBe(405);
    const head = await get('app://renderer/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
