// startService itself: the dashboard files, HTTPS, the token across restarts, and refusing to
// start on an invalid configuration or a serverdir another instance holds.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonitorError } from '../../src/shared/api.js';
import type { PairStatus } from '../../src/shared/model.js';
import { isLoopbackHost } from '../../src/server/address.js';
import { startService } from '../../src/server/service.js';
import { loadDashboard } from '../../src/server/static.js';
import { LOCK_FILE_NAME } from '../../src/core/paths.js';
import {
  CONFIG_FILE,
  configXml,
  recordingLogger,
  startTestService,
  tempServerdir,
} from '../helpers/service-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pfm-svc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const somePair = {
  id: 'acme',
  primaryUrl: 'http://127.0.0.1:9/',
  validationUrl: 'http://127.0.0.1:9/',
  actionUrl: 'http://127.0.0.1:9/',
};

describe('dashboard files', () => {
  it('serves index.html at / and hashed assets, with the same safety headers', async () => {
    const renderer = join(dir, 'renderer');
    await mkdir(join(renderer, 'assets'), { recursive: true });
    await writeFile(
      join(renderer, 'index.html'),
      '<!doctype html><title>PBX Failover Monitor</title><script type="module" src="./assets/index-abc.js"></script>',
    );
    await writeFile(join(renderer, 'assets', 'index-abc.js'), 'console.log("dashboard")');
    const svc = await startTestService({ rendererDir: renderer });
    try {
      const index = await fetch(`${svc.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await index.text()).toContain('PBX Failover Monitor');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
      const asset = await fetch(`${svc.url}/assets/index-abc.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect(await asset.text()).toContain('dashboard');
      const missing = await fetch(`${svc.url}/assets/nothing.js`);
      expect(missing.status).toBe(404);
      const outside = await fetch(`${svc.url}/..%2f..%2fapi-token`);
      expect([403, 404]).toContain(outside.status);
      expect(await outside.text()).not.toContain(svc.token);
    } finally {
      await svc.dispose();
    }
  });

  it('serves the files from memory: compressed as the browser accepts, revalidated by ETag, dotfiles never', async () => {
    const renderer = join(dir, 'renderer');
    await mkdir(join(renderer, 'assets'), { recursive: true });
    await mkdir(join(renderer, '.git'), { recursive: true });
    const big = `export const rows = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `row ${i}`))};\n`;
    await writeFile(join(renderer, 'index.html'), '<!doctype html><title>PBX Failover Monitor</title>');
    await writeFile(join(renderer, 'assets', 'big-abc.js'), big);
    await writeFile(join(renderer, '.env'), 'SECRET=1');
    await writeFile(join(renderer, '.git', 'config'), '[core]');
    const svc = await startTestService({ rendererDir: renderer });
    try {
      // Raw bytes (undici's request does not decode): the encoding is the one asked for, and decodes to the file.
      const raw = async (path: string, headers: Record<string, string>) => {
        const res = await request(`${svc.url}${path}`, { headers });
        return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
      };
      const br = await raw('/assets/big-abc.js', { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['vary']).toBe('accept-encoding');
      expect(br.headers['content-type']).toMatch(/^text\/javascript/);
      expect(brotliDecompressSync(br.body).toString()).toBe(big);
      const gz = await raw('/assets/big-abc.js', { 'accept-encoding': 'gzip;q=1, br;q=0' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).toString()).toBe(big);
      const plain = await raw('/assets/big-abc.js', {});
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.toString()).toBe(big);
      expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(big));

      const etag = plain.headers['etag'] as string;
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await raw('/assets/big-abc.js', { 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
      const index = await raw('/', { 'if-none-match': `W/${(await raw('/index.html', {})).headers['etag']}` });
      expect(index.status).toBe(304);
      expect(index.headers['cache-control']).toBe('no-cache');

      const head = await request(`${svc.url}/assets/big-abc.js`, { method: 'HEAD' });
      expect(head.statusCode).toBe(200);
      expect(head.headers['etag']).toBe(etag);
      await head.body.dump();

      for (const hidden of ['/.env', '/.git/config']) expect((await raw(hidden, {})).status).toBe(404);
    } finally {
      await svc.dispose();
    }
  });

  it('refuses a dashboard directory larger than any build, naming it', async () => {
    const renderer = join(dir, 'huge');
    await mkdir(renderer, { recursive: true });
    await writeFile(join(renderer, 'index.html'), 'x'.repeat(2048));
    await expect(loadDashboard(renderer, 1024)).rejects.toThrow(`the dashboard directory ${renderer} holds more than`);
    expect((await loadDashboard(renderer, 4096)).get('index.html')?.body.length).toBe(2048);
  });

  it('says the dashboard is not built when out/renderer is missing, and the API still works', async () => {
    const svc = await startTestService({ rendererDir: join(dir, 'nothing') });
    try {
      const res = await fetch(`${svc.url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/not been built/);
      expect((await svc.api('/api/health')).status).toBe(200);
    } finally {
      await svc.dispose();
    }
  });
});

describe('HTTPS', () => {
  it('serves the API over TLS with the given certificate and key', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const svc = await startTestService({ tls: { cert: await readFile(cert), key: await readFile(key) } });
    const dispatcher = new Agent({ connect: { ca: await readFile(cert, 'utf8') } });
    try {
      expect(svc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(svc.dashboardUrl).toBe(`${svc.url}/#token=${svc.token}`);
      const res = await undiciFetch(`${svc.url}/api/pairs`, {
        dispatcher,
        headers: { authorization: `Bearer ${svc.token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([]);
    } finally {
      await dispatcher.close();
      await svc.dispose();
    }
  });
});

describe('start and stop', () => {
  it('creates the api-token file with mode 0600 on first start and reuses it on the next', async () => {
    const serverdir = await tempServerdir();
    try {
      const first = await startTestService({ serverdir });
      const file = join(serverdir, 'api-token');
      expect(first.tokenFile).toBe(file);
      expect(first.tokenCreated).toBe(true);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await readFile(file, 'utf8')).trim()).toBe(first.token);
      await first.close();
      const second = await startTestService({ serverdir });
      expect(second.token).toBe(first.token);
      expect(second.tokenCreated).toBe(false);
      await second.close();
    } finally {
      await rm(serverdir, { recursive: true, force: true });
    }
  });

  it('uses a given token file instead', async () => {
    const tokenFile = join(dir, 'my-token');
    const token = 'b'.repeat(64);
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const svc = await startTestService({ tokenFile });
    try {
      expect(svc.token).toBe(token);
      expect((await svc.api('/api/pairs')).status).toBe(200);
    } finally {
      await svc.dispose();
    }
  });

  it('starts with no pairs on a missing configuration file, and refuses an empty one without taking the lock', async () => {
    await writeFile(join(dir, CONFIG_FILE), '');
    const err = await startService({ serverdir: dir, port: 0, log: recordingLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorError);
    expect((err as MonitorError).problems).toEqual([
      { field: 'file', message: expect.stringContaining(`${join(dir, CONFIG_FILE)} is empty`) },
    ]);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    const missing = await startTestService();
    expect(await missing.json<PairStatus[]>('/api/pairs')).toEqual([]);
    await missing.dispose();
  });

  it('refuses to start on an invalid configuration, listing pair and field, and leaves the file alone', async () => {
    const xml = configXml([{ ...somePair, interval: 0 }]);
    await writeFile(join(dir, CONFIG_FILE), xml);
    const err = await startService({ serverdir: dir, port: 0, log: recordingLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorError);
    expect((err as MonitorError).problems).toContainEqual(expect.objectContaining({ pair: 'acme', field: 'interval' }));
    expect(await readFile(join(dir, CONFIG_FILE), 'utf8')).toBe(xml);
  });

  it('refuses a second service on the same serverdir, naming the holder, and releases the lock on close', async () => {
    const first = await startTestService({ serverdir: dir });
    const err = await startService({ serverdir: dir, port: 0, log: recordingLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonitorError);
    expect((err as Error).message).toContain(String(process.pid));
    expect(await first.json<PairStatus[]>('/api/pairs')).toEqual([]);
    await first.close();
    const again = await startTestService({ serverdir: dir });
    await again.close();
  });

  it('refuses a port that is taken, and releases the serverdir again', async () => {
    const first = await startTestService();
    const err = await startService({ serverdir: dir, port: first.port, log: recordingLogger() }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/already in use/);
    await first.dispose();
    const again = await startTestService({ serverdir: dir });
    await again.close();
  });

  it('close() is idempotent and ends live event streams', async () => {
    const svc = await startTestService();
    const res = await svc.api('/api/events');
    const reader = res.body!.getReader();
    await reader.read();
    await Promise.all([svc.close(), svc.close()]);
    for (;;) if ((await reader.read()).done) break;
    await svc.dispose();
  });

  it('knows which hosts are loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.1', 'example.com', '128.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});
