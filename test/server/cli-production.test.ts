// The service as systemd or a container runs it: real child processes on real sockets, stdout read
// line by line. A port in use fails before the engine starts; the token reaches stdout once; the
// log is one line per event, in logfmt or JSON, at the chosen level, and never carries a secret.

import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../../src/core/paths.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import {
  CONFIG_FILE,
  runCli,
  spawnCli,
  tempServerdir,
  waitFor,
  type ChildService,
} from '../helpers/service-harness.js';

let dir: string;
let children: ChildService[] = [];
const closers: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  dir = await tempServerdir('pfm-prod-');
});

afterEach(async () => {
  for (const child of children) child.kill();
  await Promise.all(children.map((c) => c.exited));
  children = [];
  for (const close of closers.splice(0)) await close();
  await rm(dir, { recursive: true, force: true });
});

function serve(...args: string[]): ChildService {
  const child = spawnCli(['serve', ...args]);
  children.push(child);
  return child;
}

async function stop(child: ChildService): Promise<void> {
  child.proc.kill('SIGTERM');
  expect((await child.exited).code).toBe(0);
}

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen({ host: '127.0.0.1', port: 0 }, done));
  closers.push(() => new Promise((done) => server.close(done)));
  return (server.address() as AddressInfo).port;
}

describe('starting', { timeout: 120_000 }, () => {
  it('a port already in use: exit 1 with the reason, no "Watching" or "monitor started" line, no lock taken', async () => {
    const port = await occupiedPort();
    const { code, stdout, stderr } = await runCli(['serve', '--serverdir', dir, '--port', String(port)]);
    expect(code).toBe(1);
    expect(stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(stdout + stderr).not.toMatch(/monitor started|Watching|Dashboard:/);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    expect(existsSync(join(dir, 'api-token'))).toBe(false);
  });

  it('prints the token only on the start that creates it; later starts give the address and the token file', async () => {
    const first = serve('--serverdir', dir, '--port', '0');
    const [, token] = await first.waitForOutput(/Dashboard: http:\/\/127\.0\.0\.1:\d+\/#token=([A-Za-z0-9_-]+)\n/);
    expect(token).toBe((await readFile(join(dir, 'api-token'), 'utf8')).trim());
    await stop(first);

    const second = serve('--serverdir', dir, '--port', '0');
    const [line] = await second.waitForOutput(/Dashboard: .*\n/);
    expect(line).toMatch(
      new RegExp(`^Dashboard: http://127\\.0\\.0\\.1:\\d+/ \\(the API token is in ${join(dir, 'api-token')}\\)\\n$`),
    );
    await stop(second);
    expect(second.stdout + second.stderr).not.toContain(token!);
    expect(second.stderr).not.toMatch(/Created a new API token/);
  });

  it('announces a serverdir without a pbxctrl-failover.xml', async () => {
    const child = serve('--serverdir', dir, '--port', '0');
    await child.waitForOutput(/Dashboard: /);
    expect(child.stdout).toContain(`no ${CONFIG_FILE} in ${dir}: starting with no pairs\n`);
    await stop(child);
  });

  it('--token-file in a missing directory: a clear error, exit 1, no directory created, no lock', async () => {
    const missing = join(dir, 'no-such-dir');
    const { code, stdout, stderr } = await runCli([
      'serve',
      '--serverdir',
      dir,
      '--port',
      '0',
      '--token-file',
      join(missing, 'token'),
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(missing);
    expect(stdout + stderr).not.toMatch(/Watching|Dashboard:/);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
  });
});

const PASSWORD = 'pass-S3CRET-word';
const API_KEY = 'key-S3CRET-header';
const QUERY_TOKEN = 'tok-S3CRET-query';

function secretActionXml(primary: HttpFixture, validation: HttpFixture, receiver: HttpFixture): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<pbxctrl-failover version="1">
  <pair id="acme">
    <name>ACME</name>
    <primary-url>${primary.url('/')}</primary-url>
    <interval>0.2</interval>
    <tolerated-failures>1</tolerated-failures>
    <validation quorum="1"><url>${validation.url('/')}</url></validation>
    <action method="POST" encoding="json" auth="basic" retries="3" timeout="2">
      <url>${receiver.url(`/dns?zone=example&amp;token=${QUERY_TOKEN}`)}</url>
      <user>api</user><pass>${PASSWORD}</pass>
      <header name="X-API-Key">${API_KEY}</header>
      <body>{"pair":"{pair}"}</body>
    </action>
  </pair>
</pbxctrl-failover>
`;
}

describe('the log of a run that fails over', { timeout: 120_000 }, () => {
  let primary: HttpFixture;
  let validation: HttpFixture;
  let receiver: HttpFixture;

  beforeEach(async () => {
    primary = await HttpFixture.start({ status: 200 });
    validation = await HttpFixture.start({ status: 200 });
    receiver = await HttpFixture.start({ status: 200 });
    closers.push(
      () => primary.close(),
      () => validation.close(),
      () => receiver.close(),
    );
    // A primary that never answered cannot fail over: it goes down once the pair is waiting.
    // The first attempt fails, so the log has a failed attempt with its error as well.
    receiver.script({ status: 500, body: `bad token ${QUERY_TOKEN}` });
    await writeFile(join(dir, CONFIG_FILE), secretActionXml(primary, validation, receiver));
  });

  it.each(['logfmt', 'json'])('never shows a secret of the action (%s, debug level)', async (format) => {
    const child = serve('--serverdir', dir, '--port', '0', '--log-format', format, '--log-level', 'debug');
    await failPrimaryOnceWaiting(child, primary);
    await child.waitForOutput(
      format === 'json' ? /"msg":"action attempt".*"ok":true/ : /msg="action attempt".* ok=true/,
    );
    await stop(child);
    // The receiver really got every secret: the run did use them.
    const sent = receiver.requests.at(-1)!;
    expect(sent.url).toContain(QUERY_TOKEN);
    expect(sent.headers['x-api-key']).toBe(API_KEY);
    expect(Buffer.from(String(sent.headers.authorization).replace(/^Basic /, ''), 'base64').toString()).toBe(
      `api:${PASSWORD}`,
    );
    const output = child.stdout + child.stderr;
    expect(output).toMatch(/state changed/);
    for (const secret of [PASSWORD, API_KEY, QUERY_TOKEN, Buffer.from(`api:${PASSWORD}`).toString('base64')]) {
      expect(output).not.toContain(secret);
    }
  });

  it('--log-format json: every log line on stdout is one JSON object with time, level and msg', async () => {
    const child = serve('--serverdir', dir, '--port', '0', '--log-format', 'json');
    await failPrimaryOnceWaiting(child, primary);
    await child.waitForOutput(/"msg":"action attempt".*"ok":true/);
    await stop(child);
    const lines = child.stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(record).toMatchObject({ time: expect.any(String), level: expect.any(String), msg: expect.any(String) });
    }
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(
      expect.arrayContaining(['state changed', 'action attempt']),
    );
    // What is not a log line is the start-up announcement, and nothing else.
    const others = child.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    for (const line of others) expect(line).toMatch(/^(Watching |Dashboard: )/);
  });

  it('--log-level warn hides the info lines and keeps the warnings', async () => {
    const child = serve('--serverdir', dir, '--port', '0', '--log-level', 'warn');
    await failPrimaryOnceWaiting(child, primary);
    // The failed first attempt is a warning; the successful second one is only info.
    await child.waitForOutput(/level=warn msg="action attempt".* ok=false/);
    await child.waitForOutput(/level=\w+ msg=alert .*alert=failover/);
    await waitFor('the second attempt at the action receiver', () => receiver.requests.length >= 2);
    await stop(child);
    expect(child.stdout).not.toMatch(/level=info/);
    expect(child.stdout).not.toMatch(/msg="state changed"/);
  });
});

/** Through the API (the token from the token file), so that it works at every log level. */
async function failPrimaryOnceWaiting(child: ChildService, primary: HttpFixture): Promise<void> {
  const [, url] = await child.waitForOutput(/Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//);
  const token = (await readFile(join(dir, 'api-token'), 'utf8')).trim();
  await waitFor(
    'the pair to be waiting',
    async () => {
      const res = await fetch(`${url}/api/pairs`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as Array<{ state: string }>)[0]?.state === 'waiting';
    },
    60_000,
  );
  primary.setStatus(503);
}
