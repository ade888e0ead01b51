// The action URL must be sendable, sent exactly when it should and never doubled: header values
// outside Latin-1, a request undici would refuse, an attempt in flight at a stop or a crash, and
// the `{action_id}` receivers deduplicate on. Real loopback receivers, real files.

import { afterEach, describe, expect, it } from 'vitest';
import {
  ActionRun,
  type ActionRunnerDeps,
  actionSendProblems,
  isIdempotent,
  newActionStatus,
} from '../../src/core/action-runner.js';
import { parseConfigXml, serializeConfigXml } from '../../src/core/config-xml.js';
import { engineContext } from '../../src/core/engine-context.js';
import { createHttpClient } from '../../src/core/http-client.js';
import type { ActionSettings, ActionStatus, PairSettings } from '../../src/shared/model.js';
import { settingsHints } from '../../src/shared/hints.js';
import { DEFAULTS, retrySpanSeconds } from '../../src/shared/rules.js';
import { EventLog, pairSettings, startWatcher } from '../helpers/engine-fixtures.js';
import { HttpFixture, waitFor } from '../helpers/http-fixtures.js';
import { open, readConfigText, tempServerdir, writeConfig } from '../helpers/serverdir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function receiver(status = 200): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status });
  cleanups.push(() => f.close());
  return f;
}

function zurich(primaryUrl: string, actionUrl: string, headerValue = '{name}: {reason}'): PairSettings {
  const p = pairSettings({ id: 'zurich', name: 'Zürich – Hauptsitz', primaryUrl, actionUrl });
  p.action.headers = [{ name: 'X-Change-Comment', value: headerValue }];
  return p;
}

describe('header values outside Latin-1', () => {
  it('the Zürich pair fails over: its request arrives with the header percent-encoded as UTF-8', async () => {
    const primary = await receiver();
    const dns = await receiver();
    const h = startWatcher(zurich(primary.url(), dns.url('/failover')));
    cleanups.push(() => h.stop());
    h.watcher.failover('Wartung – RZ “Süd”', 'dave');
    await waitFor(() => h.watcher.status().action?.phase === 'succeeded', 'the action to succeed');
    expect(dns.hits).toBe(1);
    const header = dns.requests[0]!.headers['x-change-comment'] as string;
    expect(header).toBe('Z%C3%BCrich %E2%80%93 Hauptsitz: Wartung %E2%80%93 RZ %E2%80%9CS%C3%BCd%E2%80%9D');
    expect(decodeURIComponent(header)).toBe('Zürich – Hauptsitz: Wartung – RZ “Süd”');
  });

  it('a literal header value undici cannot send is refused when saving, naming the header', () => {
    const p = zurich('http://127.0.0.1:9/', 'http://127.0.0.1:9/dns', 'Zürich – {reason}');
    expect(actionSendProblems(p, p.action, 'action')).toEqual([
      expect.objectContaining({
        pair: 'zurich',
        field: 'action.headers[0].value',
        message: expect.stringMatching(/cannot carry/),
      }),
    ]);
    // Latin-1 is what undici can send as it is; the variables are encoded.
    const latin = zurich('http://127.0.0.1:9/', 'http://127.0.0.1:9/dns', 'Zürich {name} {reason}');
    expect(actionSendProblems(latin, latin.action, 'action')).toEqual([]);
  });

  it('a Bearer token the Authorization header cannot carry is refused naming the password field', () => {
    const p = pairSettings({ id: 'b', primaryUrl: 'http://127.0.0.1:9/', actionUrl: 'http://127.0.0.1:9/dns' });
    p.action = { ...p.action, auth: 'bearer', pass: 'tök€n' };
    expect(actionSendProblems(p, p.action, 'action')).toEqual([expect.objectContaining({ field: 'action.pass' })]);
    p.action.pass = 'tok-123';
    expect(actionSendProblems(p, p.action, 'action')).toEqual([]);
  });

  it('the config load, an import and an edit through the API refuse it too', async () => {
    const dns = await receiver();
    const dir = await tempServerdir(cleanups);
    const bad = zurich('http://127.0.0.1:9/', dns.url('/dns'), 'Zürich – Hauptsitz');
    await writeConfig(dir, []);
    const { monitor } = await open(dir, cleanups);
    await expect(monitor.addPair(bad)).rejects.toMatchObject({
      code: 'invalid',
      problems: [expect.objectContaining({ field: 'action.headers[0].value' })],
    });
    const good = zurich('http://127.0.0.1:9/', dns.url('/dns'));
    await monitor.addPair(good);
    await expect(monitor.updatePair('zurich', bad)).rejects.toMatchObject({
      code: 'invalid',
      problems: [expect.objectContaining({ field: 'action.headers[0].value' })],
    });
    const xml = serializeConfigXml({ pairs: [{ settings: bad }] });
    const parsed = parseConfigXml(xml);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.problems).toEqual([expect.objectContaining({ pair: 'zurich', field: 'action.headers[0].value' })]);
    await expect(monitor.importXml(xml)).rejects.toMatchObject({ code: 'invalid' });
    // Nothing changed: the stored header (masked in answers, as every header not known to be harmless) is the good one.
    expect(await monitor.exportXml({ masked: false })).toContain('>{name}: {reason}</header>');
  });
});

describe('idempotent', () => {
  it('defaults to true for GET, PUT and DELETE and false for POST and PATCH; written only when set', () => {
    const base = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' }).action;
    expect(
      (['GET', 'PUT', 'DELETE', 'POST', 'PATCH'] as const).map((method) => isIdempotent({ ...base, method })),
    ).toEqual([true, true, true, false, false]);
    expect(isIdempotent({ ...base, method: 'POST', idempotent: true })).toBe(true);
    expect(isIdempotent({ ...base, method: 'PUT', idempotent: false })).toBe(false);

    const p = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const plain = serializeConfigXml({ pairs: [{ settings: p }] });
    expect(plain).not.toMatch(/idempotent/);
    p.action.idempotent = true;
    const set = serializeConfigXml({ pairs: [{ settings: p }] });
    expect(set).toMatch(/<action [^>]*idempotent="true"/);
    const back = parseConfigXml(set);
    expect(back.ok && back.config.pairs[0]!.settings.action.idempotent).toBe(true);
    const wrong = parseConfigXml(set.replace('idempotent="true"', 'idempotent="maybe"'));
    expect(wrong.ok ? [] : wrong.problems).toEqual([expect.objectContaining({ field: 'action.idempotent' })]);
  });

  it('the progress of a series (id, from, attempt in flight, phase unknown) reads back as written', () => {
    const p = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const action = newActionStatus('failover', true, 'drill', Date.parse('2026-11-27T08:00:00Z'));
    action.phase = 'unknown';
    action.from = 'waiting';
    action.inFlight = { attempt: 2, at: '2026-11-27T08:00:01.000Z' };
    const xml = serializeConfigXml({
      pairs: [{ settings: p, persisted: { state: 'failover', since: action.startedAt, action } }],
    });
    const back = parseConfigXml(xml);
    expect(back.ok && back.config.pairs[0]!.persisted!.action).toEqual(action);
  });
});

describe('an attempt in flight at a crash', () => {
  function runDeps(events: EventLog, persisted: ActionStatus[], status: () => ActionStatus): ActionRunnerDeps {
    const client = createHttpClient();
    cleanups.push(() => client.close());
    return {
      ctx: engineContext({ client, backoff: () => 10 }),
      emit: events.push,
      persistNow: async () => void persisted.push(structuredClone(status())),
    };
  }

  function crashed(method: ActionSettings['method']): { pair: PairSettings; status: ActionStatus } {
    const pair = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const status = newActionStatus('failover', false, 'primary down', Date.now() - 1000);
    status.phase = 'running';
    status.from = 'verifying';
    status.inFlight = { attempt: 1, at: new Date().toISOString() };
    pair.action.method = method;
    return { pair, status };
  }

  it('a POST is not sent again: phase unknown and a critical alert', async () => {
    const dns = await receiver();
    const { pair, status } = crashed('POST');
    pair.action.url = dns.url('/dns');
    const events = new EventLog();
    const persisted: ActionStatus[] = [];
    const run = new ActionRun(
      runDeps(events, persisted, () => status),
      pair,
      pair.action,
      status,
      'verifying',
    );
    await run.done;
    expect(dns.hits).toBe(0);
    expect(status.phase).toBe('unknown');
    expect(persisted.at(-1)!.phase).toBe('unknown');
    expect(events.alerts('action-outcome-unknown')).toEqual([
      expect.objectContaining({
        severity: 'critical',
        message: expect.stringMatching(/retry the action or mark it done/),
      }),
    ]);
  });

  it('a PUT is sent again once, with the same {action_id}; the attempt in flight is on disk before it is sent', async () => {
    const dns = await receiver();
    const { pair, status } = crashed('PUT');
    pair.action.url = dns.url('/dns/{action_id}');
    const events = new EventLog();
    const persisted: ActionStatus[] = [];
    const run = new ActionRun(
      runDeps(events, persisted, () => status),
      pair,
      pair.action,
      status,
      'verifying',
    );
    await run.done;
    expect(dns.requests.map((r) => r.url)).toEqual([`/dns/${status.actionId}`]);
    expect(status.phase).toBe('succeeded');
    expect(persisted[0]!.inFlight).toEqual({ attempt: 1, at: expect.any(String) });
    expect(persisted.at(-1)!.inFlight).toBeUndefined();
  });
});

describe('{action_id}', () => {
  it('is the same for every attempt of one series and different for the next series', async () => {
    const primary = await receiver();
    const dns = await receiver(500);
    const p = pairSettings({ primaryUrl: primary.url(), actionUrl: dns.url('/dns?id={action_id}') });
    const h = startWatcher(p);
    cleanups.push(() => h.stop());
    h.watcher.failover('drill', 'dave');
    await waitFor(() => h.watcher.status().action?.phase === 'failed', 'the first series to fail');
    dns.setStatus(200);
    h.watcher.retryAction();
    await waitFor(() => h.watcher.status().action?.phase === 'succeeded', 'the retry');
    const ids = dns.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('id'));
    expect(ids).toHaveLength(4);
    expect(new Set(ids.slice(0, 3)).size).toBe(1);
    expect(ids[3]).not.toBe(ids[0]);
    expect(ids[3]).toBe(h.watcher.status().action!.actionId);
  });
});

describe('operator decides an unknown outcome', () => {
  async function unknownPair(): Promise<{
    monitor: Awaited<ReturnType<typeof open>>['monitor'];
    events: Awaited<ReturnType<typeof open>>['events'];
    dns: HttpFixture;
  }> {
    const primary = await receiver();
    const dns = await receiver();
    const dir = await tempServerdir(cleanups);
    const p = pairSettings({ id: 'k', primaryUrl: primary.url(), actionUrl: dns.url('/dns') });
    const status = newActionStatus('failover', true, 'drill', Date.now() - 1000);
    status.phase = 'running';
    status.from = 'waiting';
    status.inFlight = { attempt: 1, at: new Date().toISOString() };
    await writeConfig(dir, [
      { settings: p, persisted: { state: 'failover', since: status.startedAt, action: status } },
    ]);
    const { monitor, events } = await open(dir, cleanups);
    await waitFor(() => events.some((e) => e.type === 'alert' && e.alert === 'action-outcome-unknown'), 'the alert');
    expect((await monitor.getPair('k')).action?.phase).toBe('unknown');
    expect(dns.hits).toBe(0);
    return { monitor, events, dns };
  }

  it('mark done: nothing is sent, a reason is required and audited', async () => {
    const { monitor, events, dns } = await unknownPair();
    await expect(monitor.markActionDone('k', { reason: '' })).rejects.toMatchObject({ code: 'invalid' });
    await expect(monitor.rearm('k', { reason: 'x', failback: false })).rejects.toMatchObject({ code: 'conflict' });
    const after = await monitor.markActionDone('k', { reason: 'DNS shows the standby', operator: 'eve' });
    expect(after.action?.phase).toBe('succeeded');
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'operator',
        action: 'mark-action-done',
        operator: 'eve',
        reason: 'DNS shows the standby',
        outcome: 'ok',
      }),
    );
    await expect(monitor.markActionDone('k', { reason: 'again' })).rejects.toMatchObject({ code: 'conflict' });
    expect(dns.hits).toBe(0);
  });

  it('retry: a fresh series with its own {action_id} and the persisted {from}; the reason is required', async () => {
    const { monitor, events, dns } = await unknownPair();
    const before = (await monitor.getPair('k')).action!;
    await expect(monitor.retryAction('k', { reason: '' })).rejects.toMatchObject({ code: 'invalid' });
    await monitor.retryAction('k', { reason: 'receiver has no record of it', operator: 'eve' });
    await waitFor(() => dns.hits === 1, 'the retry request');
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'operator',
        action: 'retry-action',
        operator: 'eve',
        reason: 'receiver has no record of it',
      }),
    );
    const after = (await monitor.getPair('k')).action!;
    expect(after.actionId).not.toBe(before.actionId);
    expect(after.from).toBe('waiting');
  });
});

describe('a clean stop', () => {
  it('waits for an attempt in flight up to the action timeout (longer than 5 s) and records its outcome', async () => {
    const primary = await receiver();
    const dns = await receiver();
    dns.script({ status: 200, delayMs: 6500 });
    const dir = await tempServerdir(cleanups);
    const p = pairSettings({ id: 'k', primaryUrl: primary.url(), actionUrl: dns.url('/dns') });
    p.action.timeout = 10;
    await writeConfig(dir, [p]);
    const tuning = { configPollMs: 0, saveCoalesceMs: 50 };
    const first = await open(dir, cleanups, tuning);
    await first.monitor.failover('k', { reason: 'drill' });
    await waitFor(() => dns.hits === 1, 'the request to arrive');
    await first.monitor.close();
    expect(await readConfigText(dir)).toMatch(/phase="succeeded"/);
    const again = await open(dir, cleanups, tuning);
    expect((await again.monitor.getPair('k')).action).toMatchObject({
      phase: 'succeeded',
      attempts: [expect.objectContaining({ ok: true })],
    });
    await again.monitor.close();
    expect(dns.hits).toBe(1);
  }, 30_000);
});

describe('the default retry series', () => {
  it('spans at least ten minutes and the editor says so', () => {
    expect(retrySpanSeconds(DEFAULTS.retries)).toBeGreaterThanOrEqual(600);
    const p = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    p.action.retries = DEFAULTS.retries;
    expect(settingsHints(p)).toContainEqual({
      field: 'action.retries',
      message: expect.stringMatching(/about 10 min/),
    });
  });
});
