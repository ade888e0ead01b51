// GET /metrics against the real service and engine: the token rules, what a scrape shows after a
// failover, `promtool check metrics` on a real scrape, and a real Prometheus scraping the service with
// its scrape token and answering a query for the pair's state.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configXml, jsonBody, startTestService, waitFor, type TestService } from '../helpers/service-harness.js';
import { HttpFixture } from '../helpers/http-fixtures.js';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';

let primary: HttpFixture;
let validation: HttpFixture;
let receiver: HttpFixture;
let svc: TestService | undefined;
let dir: string;

beforeEach(async () => {
  [primary, validation, receiver] = await Promise.all([HttpFixture.start(), HttpFixture.start(), HttpFixture.start()]);
  dir = await mkdtemp(join(tmpdir(), 'pfm-metrics-'));
});
afterEach(async () => {
  await svc?.dispose();
  svc = undefined;
  await Promise.all([primary.close(), validation.close(), receiver.close()]);
  await rm(dir, { recursive: true, force: true });
});

function xml(ids: string[]): string {
  return configXml(
    ids.map((id) => ({
      id,
      primaryUrl: primary.url(`/${id}`),
      validationUrl: validation.url(),
      actionUrl: receiver.url('/dns'),
      interval: 0.2,
      toleratedFailures: 1,
    })),
  );
}

async function scrape(token: string | undefined): Promise<Response> {
  return fetch(`${svc!.url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
}

/** The value of one sample line, e.g. sample(text, 'pbx_pair_state{pair="acme",state="failover"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('needs the API token or the scrape token, and the scrape token reads nothing else', async () => {
    const scrapeFile = join(dir, 'scrape-token');
    svc = await startTestService({ xml: xml(['acme']), metricsTokenFile: scrapeFile });
    const scrapeToken = (await readFile(scrapeFile, 'utf8')).trim();
    expect((await stat(scrapeFile)).mode & 0o777).toBe(0o600);

    expect((await scrape(undefined)).status).toBe(401);
    expect((await scrape('x'.repeat(64))).status).toBe(401);
    const withApi = await scrape(svc.token);
    expect(withApi.status).toBe(200);
    expect(withApi.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await scrape(scrapeToken)).status).toBe(200);
    // The scrape token is not an API token.
    const pairs = await fetch(`${svc.url}/api/pairs`, { headers: { authorization: `Bearer ${scrapeToken}` } });
    expect(pairs.status).toBe(401);
  });

  it('shows each pair in one state, its failures, checks, and a failover with its action attempt', async () => {
    svc = await startTestService({ xml: xml(['acme', 'beta']) });
    // Counting starts with the service's first scrape-able moment: wait for a good check counted.
    await waitFor('both pairs waiting with a good check counted', async () => {
      const text = await (await scrape(svc!.token)).text();
      return (
        sample(text, 'pbx_pair_state{pair="acme",state="waiting"}') === 1 &&
        sample(text, 'pbx_pair_state{pair="beta",state="waiting"}') === 1 &&
        (sample(text, 'pbx_checks_total{pair="acme",target="primary",result="ok"}') ?? 0) >= 1
      );
    });
    primary.answer = { status: 503 };
    await waitFor('acme and beta in failover', async () => {
      const text = await (await scrape(svc!.token)).text();
      return (
        sample(text, 'pbx_pair_state{pair="acme",state="failover"}') === 1 &&
        sample(text, 'pbx_action_attempts_total{pair="beta",kind="failover",result="ok"}') === 1
      );
    });
    const text = await (await scrape(svc.token)).text();
    // Exactly one state is 1 per pair.
    const acmeStates = text.split('\n').filter((l) => l.startsWith('pbx_pair_state{pair="acme"'));
    expect(acmeStates).toHaveLength(5);
    expect(acmeStates.filter((l) => l.endsWith(' 1'))).toEqual(['pbx_pair_state{pair="acme",state="failover"} 1']);
    expect(sample(text, 'pbx_failovers_total{pair="acme",manual="false"}')).toBe(1);
    expect(sample(text, 'pbx_checks_total{pair="acme",target="primary",result="failed"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'pbx_checks_total{pair="acme",target="primary",result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'pbx_check_duration_seconds_count{pair="acme",target="primary"}')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'pbx_pairs')).toBe(2);
    // The process's own metrics are there too.
    expect(text).toContain('process_cpu_seconds_total');
    // No URL or error text in any label.
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toMatch(/refused|timed out|HTTP 503/);

    // A removed pair leaves no series behind.
    const removed = await svc.api(`/api/pairs/beta?force=true&reason=${encodeURIComponent('decommissioned')}`, {
      method: 'DELETE',
    });
    expect(removed.status).toBe(204);
    const after = await (await scrape(svc.token)).text();
    expect(after).not.toContain('pair="beta"');
    expect(sample(after, 'pbx_pairs')).toBe(1);
  });

  it('counts a manual failover as manual', async () => {
    svc = await startTestService({ xml: xml(['acme']) });
    await waitFor(
      'acme waiting',
      async () => (await svc!.json<{ state: string }>('/api/pairs/acme')).state === 'waiting',
    );
    await svc.json('/api/pairs/acme/failover', jsonBody('POST', { reason: 'planned move' }));
    const text = await (await scrape(svc.token)).text();
    expect(sample(text, 'pbx_failovers_total{pair="acme",manual="true"}')).toBe(1);
    expect(sample(text, 'pbx_failovers_total{pair="acme",manual="false"}')).toBeUndefined();
  });

  it.skipIf(!existsSync(PROMTOOL))('passes promtool check metrics on a real scrape', async () => {
    svc = await startTestService({ xml: xml(['acme', 'beta']) });
    primary.answer = { status: 503 };
    await waitFor(
      'acme in failover',
      async () => (await svc!.json<{ state: string }>('/api/pairs/acme')).state === 'failover',
    );
    const text = await (await scrape(svc.token)).text();
    const result = await promtool(text);
    expect(result.code, result.output).toBe(0);
  });
});

function promtool(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe.skipIf(!existsSync(PROMETHEUS))('a real Prometheus', () => {
  let prometheus: ChildProcess | undefined;
  afterEach(() => {
    prometheus?.kill('SIGKILL');
    prometheus = undefined;
  });

  it('scrapes the service with its scrape token and answers pbx_pair_state of a pair in failover', async () => {
    const scrapeFile = join(dir, 'scrape-token');
    svc = await startTestService({ xml: xml(['acme']), metricsTokenFile: scrapeFile });
    const port = await freePort();
    const target = new URL(svc.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: pbx',
        '    authorization:',
        `      credentials_file: ${scrapeFile}`,
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const out: string[] = [];
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (c: Buffer) => out.push(c.toString()));
    prometheus.stderr!.on('data', (c: Buffer) => out.push(c.toString()));

    primary.answer = { status: 503 };
    await waitFor(
      'acme in failover',
      async () => (await svc!.json<{ state: string }>('/api/pairs/acme')).state === 'failover',
    );
    const query = encodeURIComponent('pbx_pair_state{pair="acme",state="failover"}');
    const value = await waitFor(
      'Prometheus to have scraped the failover',
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`);
          if (!res.ok) return undefined;
          const body = (await res.json()) as {
            data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
          };
          const hit = body.data.result[0];
          return hit?.value[1] === '1' ? hit : undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nprometheus said:\n${out.join('')}`);
    });
    expect(value.metric).toMatchObject({ job: 'pbx', pair: 'acme', state: 'failover' });
    // The target is healthy: the scrape token was accepted.
    const targets = (await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as {
      data: { activeTargets: Array<{ health: string; lastError: string }> };
    };
    expect(targets.data.activeTargets[0]).toMatchObject({ health: 'up', lastError: '' });
  });
});
