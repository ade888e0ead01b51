import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from 'electron';
import { appOrigin, isAppUrl, isSafeExternalUrl } from '../../src/main/policy/app-origin.js';
import { parseShellArgs } from '../../src/main/policy/command-line.js';
import { RENDERER_CSP } from '../../src/main/policy/csp.js';
import { Batcher } from '../../src/main/policy/event-batcher.js';
import { withOperator } from '../../src/main/policy/operator.js';
import { secondInstanceResponse, startupDecision } from '../../src/main/policy/single-instance.js';
import { autostartEntry, autostartPath, setOpenAtLogin } from '../../src/main/login-item.js';
import { startupErrorText } from '../../src/main/startup-error.js';
import { MonitorError } from '../../src/shared/api.js';

describe('--serverdir', () => {
  it('takes the PBX option in both spellings, anywhere among Electron’s own arguments', () => {
    expect(parseShellArgs(['/opt/app/pbx', '--no-sandbox', '--serverdir', '/srv/pbx'], '/home/noc')).toEqual({
      ok: true,
      serverdir: '/srv/pbx',
    });
    expect(parseShellArgs(['electron', '.', '--serverdir=data'], '/home/noc')).toEqual({
      ok: true,
      serverdir: '/home/noc/data',
    });
    expect(parseShellArgs(['electron', '.'], '/home/noc')).toEqual({ ok: true });
  });
  it('says what is missing', () => {
    expect(parseShellArgs(['x', '--serverdir'], '/')).toEqual({
      ok: false,
      message: '--serverdir needs a directory: --serverdir <dir>',
    });
    expect(parseShellArgs(['x', '--serverdir', '--hidden'], '/')).toMatchObject({ ok: false });
    expect(parseShellArgs(['x', '--serverdir='], '/')).toMatchObject({ ok: false });
  });
});

describe('single-instance policy', () => {
  it('runs only with the lock', () => {
    expect(startupDecision(true)).toEqual({ run: true });
    expect(startupDecision(false)).toMatchObject({ run: false });
  });
  it('focuses on a second launch and explains when it asked for another serverdir', () => {
    expect(secondInstanceResponse('/srv/a', ['app'], '/')).toEqual({ focusWindow: true });
    expect(secondInstanceResponse('/srv/a', ['app', '--serverdir', '/srv/b'], '/').notice).toMatch(
      /Already running on \/srv\/a.*\/srv\/b/,
    );
  });
});

describe('app origin', () => {
  const origin = appOrigin('/opt/PBX Failover Monitor/resources/app.asar/out/renderer/index.html');
  it('is the app:// page with any route, and nothing else (file:// is never the app)', () => {
    expect(origin.appUrl).toBe('app://renderer/index.html');
    expect(origin.rendererDir).toBe('/opt/PBX Failover Monitor/resources/app.asar/out/renderer');
    expect(isAppUrl(`${origin.appUrl}#/pairs/acme`, origin)).toBe(true);
    expect(isAppUrl(`${origin.appUrl}?large=1`, origin)).toBe(true);
    expect(isAppUrl('app://renderer/other.html', origin)).toBe(false);
    expect(isAppUrl('app://elsewhere/index.html', origin)).toBe(false);
    expect(isAppUrl('file:///opt/PBX%20Failover%20Monitor/resources/app.asar/out/renderer/index.html', origin)).toBe(
      false,
    );
    expect(isAppUrl('http://localhost:5173/', origin)).toBe(false);
    expect(isAppUrl('about:blank', origin)).toBe(false);
  });
  it('checks external links', () => {
    expect(isSafeExternalUrl('https://example.com/guide')).toBe(true);
    expect(isSafeExternalUrl('http://192.0.2.1/')).toBe(true);
    for (const bad of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://u:p@example.com/',
      'mailto:x@example.com',
      'ftp://x/',
      'nonsense',
      42,
      `https://example.com/${'a'.repeat(3000)}`,
    ]) {
      expect(isSafeExternalUrl(bad), String(bad)).toBe(false);
    }
  });
});

describe('CSP', () => {
  it('is exactly the policy of the renderer’s meta tag', async () => {
    const html = await readFile(join(import.meta.dirname, '../../src/renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta, 'src/renderer/index.html has a CSP meta tag').not.toBeNull();
    const norm = (s: string) =>
      s
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .sort();
    expect(norm(RENDERER_CSP)).toEqual(norm(meta![1]!));
  });
});

describe('operator', () => {
  it('fills in the operator only for methods that record one', () => {
    expect(withOperator('listPairs', [], 'alice')).toEqual([]);
    expect(withOperator('getPair', ['acme'], 'alice')).toEqual(['acme']);
    expect(withOperator('rearm', ['acme', { failback: true, reason: 'fixed' }], 'alice')).toEqual([
      'acme',
      { failback: true, reason: 'fixed', operator: 'alice' },
    ]);
    expect(withOperator('importXml', ['<x/>', { dryRun: true }], 'alice')).toEqual([
      '<x/>',
      { dryRun: true, operator: 'alice' },
    ]);
    expect(withOperator('importXml', ['<x/>'], 'alice')).toEqual(['<x/>', { operator: 'alice' }]);
  });
});

describe('event batching to the window', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it('sends events in order, at most one message per interval', () => {
    const sent: number[][] = [];
    const b = new Batcher<number>((batch) => sent.push(batch), 100);
    for (let i = 0; i < 5; i++) b.push(i);
    vi.advanceTimersByTime(99);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    b.push(5);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([[0, 1, 2, 3, 4], [5]]);
  });
});

describe('start at login', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pbx-autostart-'));
    vi.stubEnv('XDG_CONFIG_HOME', dir);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes and removes a freedesktop autostart entry on Linux', async () => {
    const app = { setLoginItemSettings: vi.fn() };
    await setOpenAtLogin(app as unknown as App, true, 'linux');
    const entry = await readFile(autostartPath(), 'utf8');
    expect(autostartPath()).toBe(join(dir, 'autostart', 'pbx-failover-monitor.desktop'));
    expect(entry).toContain('[Desktop Entry]');
    expect(entry).toMatch(/^Exec=".+" --hidden$/m);
    await setOpenAtLogin(app as unknown as App, false, 'linux');
    await setOpenAtLogin(app as unknown as App, false, 'linux');
    await expect(readFile(autostartPath())).rejects.toThrow(/ENOENT/);
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('uses Electron’s login items elsewhere, starting hidden in the tray', async () => {
    const app = { setLoginItemSettings: vi.fn() };
    await setOpenAtLogin(app as unknown as App, true, 'win32');
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true, args: ['--hidden'] });
  });

  it('quotes the executable path', () => {
    expect(autostartEntry('/opt/PBX "Mon"/app')).toContain('Exec="/opt/PBX \\"Mon\\"/app" --hidden');
  });
});

describe('startup error text', () => {
  it('lists every problem with pair and field', () => {
    const err = new MonitorError('invalid', 'pbxctrl-failover.xml is not valid', [
      { pair: 'acme', field: 'interval', message: 'must be at least 0.1' },
      { field: 'pbxctrl-failover', message: 'DOCTYPE is not allowed' },
    ]);
    const text = startupErrorText(err, '/srv/pbx');
    expect(text).toContain('/srv/pbx');
    expect(text).toContain('• pair acme, interval: must be at least 0.1');
    expect(text).toContain('• pbxctrl-failover: DOCTYPE is not allowed');
    expect(startupErrorText(new Error('serverdir is locked by pid 42 on host noc1'), '/srv')).toContain(
      'locked by pid 42',
    );
  });
});

describe('remote mode on the command line', () => {
  it('takes --remote (repeated or comma-separated) and --token-file, in both spellings', () => {
    expect(
      parseShellArgs(
        ['app', '--remote', 'https://a.example:8480/', '--remote=http://127.0.0.1:8481', '--token-file', 't'],
        '/home/noc',
      ),
    ).toEqual({
      ok: true,
      remote: { urls: ['https://a.example:8480', 'http://127.0.0.1:8481'], tokenFile: '/home/noc/t' },
    });
    expect(parseShellArgs(['app', '--remote=https://a:1,https://b:2', '--token-file=/etc/pfm/token'], '/')).toEqual({
      ok: true,
      remote: { urls: ['https://a:1', 'https://b:2'], tokenFile: '/etc/pfm/token' },
    });
  });

  it('refuses what cannot work, saying what is missing', () => {
    expect(parseShellArgs(['app', '--remote', 'https://a:1'], '/')).toEqual({
      ok: false,
      message: '--remote needs the token too: --token-file <file>',
    });
    expect(parseShellArgs(['app', '--token-file', 't'], '/')).toMatchObject({ ok: false, message: /add --remote/ });
    expect(
      parseShellArgs(['app', '--remote', 'https://a:1', '--token-file', 't', '--serverdir', 'd'], '/'),
    ).toMatchObject({
      ok: false,
      message: /leave out --serverdir/,
    });
    expect(parseShellArgs(['app', '--remote', 'ftp://a', '--token-file', 't'], '/')).toMatchObject({
      ok: false,
      message: /^--remote: "ftp:\/\/a" must start with http:\/\/ or https:\/\//,
    });
    expect(parseShellArgs(['app', '--remote', 'https://u:p@a:1', '--token-file', 't'], '/')).toMatchObject({
      ok: false,
      message: /must not hold a user or password/,
    });
    expect(parseShellArgs(['app', '--remote', 'https://a:1/api', '--token-file', 't'], '/')).toMatchObject({
      ok: false,
      message: /without a path/,
    });
    expect(parseShellArgs(['app', '--remote', '--token-file', 't'], '/')).toMatchObject({
      ok: false,
      message: /^--remote needs the service address/,
    });
  });
});
