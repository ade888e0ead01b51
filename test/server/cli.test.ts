// The command line as a person and a service manager use it: real child processes, real
// signals, real files; exit codes 0 (ok), 1 (cannot do it), 2 (bad command line).

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/core/config-store.js';
import { LOCK_FILE_NAME } from '../../src/core/paths.js';
import { runCli as runCliInProcess } from '../../src/server/cli.js';
import type { PairStatus } from '../../src/shared/model.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import {
  CONFIG_FILE,
  REPO_ROOT,
  configXml,
  pairSettings,
  runCli,
  spawnCli,
  tempServerdir,
  waitFor,
  type ChildService,
  type TestPair,
} from '../helpers/service-harness.js';

const version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function inProcess(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCliInProcess(args, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let dir: string;
let site: HttpFixture;
let children: ChildService[] = [];
let pair: TestPair;

beforeEach(async () => {
  dir = await tempServerdir('pfm-cli-');
  site = await HttpFixture.start();
  pair = {
    id: 'acme',
    primaryUrl: site.url('/primary'),
    validationUrl: site.url('/validation'),
    actionUrl: site.url('/dns'),
    interval: 0.2,
  };
});

afterEach(async () => {
  for (const child of children) child.kill();
  children = [];
  await site.close();
  await rm(dir, { recursive: true, force: true });
});

function serve(...args: string[]): ChildService {
  const child = spawnCli(['serve', '--port', '0', ...args]);
  children.push(child);
  return child;
}

// The token is printed only by the start that created it; later starts name the file instead.
async function started(child: ChildService) {
  const [, url, printed, file] = await child.waitForOutput(
    /Dashboard: (https?:\/\/[^/\s]+)\/(?:#token=([A-Za-z0-9_-]+)| \(the API token is in (.+)\))\n/,
  );
  const token = printed ?? (await readFile(file!, 'utf8')).trim();
  return { url: url!, token, printed: printed !== undefined };
}

describe('help, version and bad command lines', () => {
  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await inProcess(['--help']);
    expect(code).toBe(0);
    for (const word of [
      'serve',
      'validate <file>',
      '--serverdir',
      '--host',
      '--port',
      '--token-file',
      '--tls-cert',
      '--tls-key',
      '--retention-days',
    ]) {
      expect(stdout).toContain(word);
    }
  });

  it('--version prints the package version and exits 0', async () => {
    expect(await inProcess(['--version'])).toMatchObject({ code: 0, stdout: version });
  });

  it.each([
    [['--bogus'], /bogus/],
    [['serve', '--port', 'eighty'], /--port must be a whole number/],
    [['serve', '--port', '70000'], /--port must be a whole number from 0 to 65535/],
    [['serve', '--retention-days', '0'], /--retention-days/],
    [['serve', '--port'], /--port/],
    [['serve', '--tls-cert', 'cert.pem'], /--tls-cert and --tls-key go together/],
    [['serve', '--serverdir', ''], /--serverdir needs a value/],
    [['serve', 'extra'], /"extra"/],
    [['restart'], /unknown command "restart"/],
    [['validate'], /exactly one file/],
    [['validate', 'a.xml', 'b.xml'], /exactly one file/],
    [['validate', 'a.xml', '--port', '1'], /--port is an option of serve/],
  ])('%j is refused with a clear message and exit code 2', async (args, message) => {
    const { code, stderr, stdout } = await inProcess(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('--help');
    expect(stdout).toBe('');
  });

  it('exits with code 2 as a real process too', { timeout: 60_000 }, async () => {
    const { code, stderr } = await runCli(['--no-such-flag']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no-such-flag/);
  });
});

describe('validate <file>', { timeout: 60_000 }, () => {
  it('prints a one-line summary and exits 0 for a valid file', async () => {
    const file = join(dir, 'good.xml');
    await writeFile(file, configXml([pair, { ...pair, id: 'beta' }, { ...pair, id: 'gamma' }]));
    const { code, stdout } = await runCli(['validate', file]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('3 pairs, valid');
  });

  it('prints every problem with pair and field and exits 1 for an invalid file', async () => {
    const file = join(dir, 'bad.xml');
    const xml = configXml([
      { ...pair, interval: 0 },
      { ...pair, id: 'beta', toleratedFailures: -2 },
    ]);
    await writeFile(file, xml);
    const { code, stderr } = await runCli(['validate', file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/pair acme, field interval: /);
    expect(stderr).toMatch(/pair beta, field toleratedFailures: /);
    expect(await readFile(file, 'utf8')).toBe(xml);
  });

  it('exits 1 for a malformed or missing file', async () => {
    const file = join(dir, 'broken.xml');
    await writeFile(file, '<pbxctrl-failover version="1"><pair id="x">');
    expect((await inProcess(['validate', file])).code).toBe(1);
    const missing = await inProcess(['validate', join(dir, 'nothing.xml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file/);
  });
});

// Each case starts one or two real processes through tsx: generous on a busy machine.
describe('serve', { timeout: 120_000 }, () => {
  it('prints one clickable dashboard line with the token, serves the API, and stops cleanly on SIGTERM', async () => {
    await writeFile(join(dir, CONFIG_FILE), configXml([pair]));
    const child = serve('--serverdir', dir);
    const { url, token } = await started(child);
    expect(child.stdout).toMatch(new RegExp(`Watching 1 pair from ${dir}`));
    expect(child.stdout.match(/Dashboard: /g)).toHaveLength(1);
    expect(token).toBe((await readFile(join(dir, 'api-token'), 'utf8')).trim());
    expect((await stat(join(dir, 'api-token'))).mode & 0o777).toBe(0o600);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    const pairs = (await (
      await fetch(`${url}/api/pairs`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as PairStatus[];
    expect(pairs.map((p) => p.id)).toEqual(['acme']);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(true);

    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    expect(child.stdout + child.stderr).not.toMatch(/\n\s+at /);
  });

  it('reuses the token on the next start and stops on SIGINT too', async () => {
    const first = serve('--serverdir', dir);
    const { token } = await started(first);
    expect(first.stderr).toMatch(/Created a new API token/);
    first.proc.kill('SIGINT');
    expect((await first.exited).code).toBe(0);
    const second = serve('--serverdir', dir);
    expect((await started(second)).token).toBe(token);
    expect(second.stdout).toMatch(/Watching 0 pairs/);
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('uses --token-file', async () => {
    await mkdir(join(dir, 'elsewhere'));
    const tokenFile = join(dir, 'elsewhere', 'token');
    const child = serve('--serverdir', join(dir, 'sd'), '--token-file', tokenFile);
    const { token } = await started(child);
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(token);
    expect(existsSync(join(dir, 'sd', 'api-token'))).toBe(false);
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  });

  it('refuses a second instance on the same serverdir with exit 1, naming the holder', async () => {
    const first = serve('--serverdir', dir);
    await started(first);
    const second = await runCli(['serve', '--port', '0', '--serverdir', dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(String(first.proc.pid));
    expect(second.stdout).not.toMatch(/Dashboard:/);
    first.proc.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });

  it('refuses an invalid configuration with every problem, exit 1, file untouched, no lock left', async () => {
    const xml = configXml([
      { ...pair, interval: 0 },
      { ...pair, id: 'beta', actionUrl: site.url('/{nope}') },
    ]);
    await writeFile(join(dir, CONFIG_FILE), xml);
    const { code, stderr, stdout } = await runCli(['serve', '--port', '0', '--serverdir', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/pair acme, field interval: /);
    expect(stderr).toMatch(/pair beta, field action\.url: /);
    expect(stdout).not.toMatch(/Dashboard:/);
    expect(await readFile(join(dir, CONFIG_FILE), 'utf8')).toBe(xml);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
  });

  it('on SIGTERM while saves are in flight: exit 0, a valid file, the lock released', async () => {
    await writeFile(join(dir, CONFIG_FILE), configXml([pair]));
    const child = serve('--serverdir', dir);
    const { url, token } = await started(child);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const saves: Promise<unknown>[] = [];
    let answered = 0;
    for (let i = 0; i < 20; i++) {
      const settings = pairSettings({ ...pair, id: `p${i}`, name: `Pair ${i}` });
      saves.push(
        fetch(`${url}/api/pairs`, { method: 'POST', headers, body: JSON.stringify(settings) }).then(
          async (res) => {
            await res.body?.cancel();
            if (res.ok) answered++;
          },
          () => undefined,
        ),
      );
    }
    await waitFor('the first save to complete', () => answered > 0);
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    await Promise.all(saves);
    const result = await readConfigFile(join(dir, CONFIG_FILE));
    expect(result.ok).toBe(true);
    // Every save that was confirmed is on disk; the rest either made it whole or not at all.
    if (result.ok) expect(result.config.pairs.length).toBeGreaterThanOrEqual(1 + answered);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
  });
});
