import { afterEach, describe, expect, it } from 'vitest';
import {
  ActionRun,
  type ActionRunnerDeps,
  defaultBackoff,
  maskedActionRequest,
  newActionStatus,
} from '../../src/core/action-runner.js';
import { engineContext } from '../../src/core/engine-context.js';
import { createHttpClient, type HttpClient } from '../../src/core/http-client.js';
import {
  type ActionSettings,
  type ActionStatus,
  type AlertEvent,
  type BodyEncoding,
  SECRET_MASK,
} from '../../src/shared/model.js';
import { EventLog, pairSettings, startWatcher } from '../helpers/engine-fixtures.js';
import { HttpFixture, waitFor } from '../helpers/http-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function receiver(status = 200): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status });
  cleanups.push(() => f.close());
  return f;
}

function client(): HttpClient {
  const c = createHttpClient();
  cleanups.push(() => c.close());
  return c;
}

interface Harness {
  deps: ActionRunnerDeps;
  log: EventLog;
  /** Copies of the status at every persist, in order. */
  persisted: ActionStatus[];
}

function harness(status: () => ActionStatus): Harness {
  const log = new EventLog();
  const persisted: ActionStatus[] = [];
  const deps: ActionRunnerDeps = {
    ctx: engineContext({ client: client(), backoff: (n) => 10 * n }),
    emit: log.push,
    persistNow: async () => {
      persisted.push(structuredClone(status()));
    },
  };
  return { deps, log, persisted };
}

function action(url: string, overrides: Partial<ActionSettings> = {}): ActionSettings {
  return {
    method: 'POST',
    url,
    encoding: 'json',
    auth: 'none',
    headers: [],
    body: '{"pair":"{pair}"}',
    retries: 5,
    timeout: 2,
    ...overrides,
  };
}

describe('action runner: retries', () => {
  it('retries 500, 500, then 200: three attempts, one success, persisted before and after each', async () => {
    const dns = await receiver();
    dns.script({ status: 500 }, { status: 500 });
    const pair = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const settings = action(dns.url('/records'));
    const status = newActionStatus('failover', false, 'primary down', Date.now());
    const h = harness(() => status);
    await new ActionRun(h.deps, pair, settings, status, 'verifying').done;

    expect(dns.hits).toBe(3);
    expect(status.phase).toBe('succeeded');
    expect(status.attempts.map((a) => [a.attempt, a.ok, a.status])).toEqual([
      [1, false, 500],
      [2, false, 500],
      [3, true, 200],
    ]);
    expect(status.attempts[0]!.error).toBe('status 500');
    expect(status.attempts.every((a) => a.latencyMs >= 0 && Date.parse(a.at) > 0)).toBe(true);
    // Before attempt 1, after 1, before 2, after 2, before 3, after 3.
    expect(h.persisted.map((p) => [p.phase, p.attempts.length])).toEqual([
      ['running', 0],
      ['running', 1],
      ['running', 1],
      ['running', 2],
      ['running', 2],
      ['succeeded', 3],
    ]);
    const actions = h.log.events.filter((e) => e.type === 'action');
    expect(actions.map((e) => (e.type === 'action' ? [e.phase, e.attempt?.attempt] : []))).toEqual([
      ['pending', undefined],
      ['running', 1],
      ['running', 2],
      ['succeeded', 3],
    ]);
    expect(h.log.alerts('action-succeeded')).toHaveLength(1);
    expect((h.log.alerts('action-succeeded')[0] as AlertEvent).message).toMatch(/after 3 attempts/);
  });

  it('marks the action failed with an alert when every attempt fails, and a new series can succeed', async () => {
    const dns = await receiver(500);
    const pair = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const settings = action(dns.url(), { retries: 3 });
    let status = newActionStatus('failover', true, 'evacuate', Date.now());
    const h = harness(() => status);
    await new ActionRun(h.deps, pair, settings, status, 'waiting').done;
    expect(dns.hits).toBe(3);
    expect(status.phase).toBe('failed');
    expect(status.finishedAt).toBeDefined();
    expect(h.persisted.at(-1)!.phase).toBe('failed');
    const alert = h.log.alerts('action-failed')[0] as AlertEvent;
    expect(alert.severity).toBe('critical');
    expect(alert.message).toMatch(/all 3 attempts \(last: status 500\)/);

    dns.setStatus(204);
    status = newActionStatus('failover', true, 'evacuate', Date.now());
    await new ActionRun(h.deps, pair, settings, status, 'waiting').done;
    expect(status.phase).toBe('succeeded');
    expect(status.attempts).toHaveLength(1);
    expect(dns.hits).toBe(4);
    expect(h.log.alerts('action-succeeded')).toHaveLength(0);
  });

  it('retries network errors and timeouts, naming them in words', async () => {
    const dns = await receiver();
    const url = dns.url('/x');
    await dns.refuse();
    const pair = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const status = newActionStatus('failover', false, 'r', Date.now());
    const h = harness(() => status);
    await new ActionRun(h.deps, pair, action(url, { retries: 2 }), status, 'verifying').done;
    expect(status.attempts.map((a) => a.error)).toEqual(['connection refused', 'connection refused']);

    await dns.accept();
    dns.setStatus(200, 1500);
    const slow = newActionStatus('failover', false, 'r', Date.now());
    const h2 = harness(() => slow);
    await new ActionRun(h2.deps, pair, action(url, { retries: 1, timeout: 0.3 }), slow, 'verifying').done;
    expect(slow.attempts[0]!.error).toBe('timed out after 0.3 s');
    expect(slow.phase).toBe('failed');
  });

  it('resumes a persisted series at its next attempt and never fires a succeeded one', async () => {
    const dns = await receiver();
    const pair = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const status = newActionStatus('failover', false, 'r', Date.now() - 5000);
    status.phase = 'running';
    status.attempts.push({ attempt: 1, at: new Date().toISOString(), ok: false, status: 502, latencyMs: 3 });
    const h = harness(() => status);
    await new ActionRun(h.deps, pair, action(dns.url()), status, 'verifying').done;
    expect(dns.hits).toBe(1);
    expect(status.attempts.map((a) => a.attempt)).toEqual([1, 2]);

    const done = { ...status, attempts: status.attempts.slice() };
    const h2 = harness(() => done);
    await new ActionRun(h2.deps, pair, action(dns.url(), { retries: 2 }), done, 'verifying').done;
    expect(dns.hits).toBe(1);
  });

  it('backs off exponentially by default, capped', () => {
    expect([1, 2, 3, 4, 5].map(defaultBackoff)).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(defaultBackoff(20)).toBe(30_000);
  });
});

describe('action runner: the request on the wire', () => {
  const reason = `Ärger: "quotes" & <tags> 'x' a+b=c/d?e#f 100%`;

  const cases: Array<{ encoding: BodyEncoding; body: string; expected: (r: string) => string; contentType: string }> = [
    {
      encoding: 'json',
      body: '{"pair":"{pair}","reason":"{reason}","nested":{"keep":"{braces} stay"}}',
      expected: (r) => JSON.stringify({ pair: 'acme', reason: r, nested: { keep: '{braces} stay' } }),
      contentType: 'application/json',
    },
    {
      encoding: 'xml',
      body: '<failover pair="{pair}"><reason>{reason}</reason></failover>',
      expected: () =>
        `<failover pair="acme"><reason>Ärger: &quot;quotes&quot; &amp; &lt;tags&gt; &apos;x&apos; a+b=c/d?e#f 100%</reason></failover>`,
      contentType: 'application/xml; charset=utf-8',
    },
    {
      encoding: 'form',
      body: 'pair={pair}&reason={reason}',
      expected: (r) => new URLSearchParams({ pair: 'acme', reason: r }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    },
    {
      encoding: 'plain',
      body: 'pair {pair}: {reason}',
      expected: (r) => `pair acme: ${r}`,
      contentType: 'text/plain; charset=utf-8',
    },
  ];

  for (const c of cases) {
    it(`escapes variables for a ${c.encoding} body and in the URL`, async () => {
      const dns = await receiver();
      const pair = pairSettings({ primaryUrl: 'http://192.0.2.10/', standbyUrl: 'http://198.51.100.20/pbx?x=1&y=2' });
      const settings = action(dns.url('/api/{pair}/records?target={standby}&why={reason}'), {
        encoding: c.encoding,
        body: c.body,
        method: 'PUT',
      });
      const status = newActionStatus('failover', false, reason, Date.now());
      const h = harness(() => status);
      await new ActionRun(h.deps, pair, settings, status, 'verifying').done;
      const request = dns.requests[0]!;
      expect(request.method).toBe('PUT');
      expect(request.body).toBe(c.expected(reason));
      expect(request.headers['content-type']).toBe(c.contentType);
      const url = new URL(request.url, 'http://x');
      expect(url.pathname).toBe('/api/acme/records');
      expect(url.searchParams.get('target')).toBe('http://198.51.100.20/pbx?x=1&y=2');
      expect(url.searchParams.get('why')).toBe(reason);
      if (c.encoding === 'form') expect(new URLSearchParams(request.body).get('reason')).toBe(reason);
      if (c.encoding === 'json') expect(JSON.parse(request.body).reason).toBe(reason);
    });
  }

  it('fills in every variable', async () => {
    const dns = await receiver();
    const pair = pairSettings({ primaryUrl: 'http://192.0.2.10/', standbyUrl: 'http://198.51.100.20/' });
    const body = '{pair}|{name}|{from}|{to}|{reason}|{manual}|{time}|{epoch}|{primary}|{standby}|{user}|{pass}';
    const settings = action(dns.url(), { encoding: 'plain', body, user: 'api', pass: 'pw' });
    const status = newActionStatus('failover', true, 'why', Date.parse('2026-11-27T08:00:00.000Z'));
    const h = harness(() => status);
    await new ActionRun(h.deps, pair, settings, status, 'waiting').done;
    expect(dns.requests[0]!.body).toBe(
      `acme|ACME Corp|waiting|failover|why|true|2026-11-27T08:00:00.000Z|${Date.UTC(2026, 10, 27, 8) / 1000}|http://192.0.2.10/|http://198.51.100.20/|api|pw`,
    );
  });

  it('sends Basic and Bearer authorization and custom headers; the masked request and events hide the secrets', async () => {
    const dns = await receiver();
    const pair = pairSettings({ primaryUrl: 'http://127.0.0.1:9/' });
    const basic = action(dns.url('/b?token={pass}'), {
      auth: 'basic',
      user: 'api',
      pass: 's3cr3t-basic',
      headers: [
        { name: 'X-Request-Source', value: 'pbx-{pair}' },
        { name: 'X-API-Key', value: 'k3y-value' },
      ],
      body: '{"pass":"{pass}"}',
    });
    const status = newActionStatus('failover', false, 'r', Date.now());
    const h = harness(() => status);
    await new ActionRun(h.deps, pair, basic, status, 'verifying').done;
    const sent = dns.requests[0]!;
    expect(sent.headers['authorization']).toBe(`Basic ${Buffer.from('api:s3cr3t-basic').toString('base64')}`);
    expect(sent.headers['x-request-source']).toBe('pbx-acme');
    expect(sent.headers['x-api-key']).toBe('k3y-value');
    expect(sent.url).toBe('/b?token=s3cr3t-basic');

    const masked = status.request!;
    expect(masked.url).toBe(`${dns.url('/b')}?token=${SECRET_MASK}`);
    expect(masked.body).toBe(`{"pass":"${SECRET_MASK}"}`);
    expect(masked.headers).toContainEqual({ name: 'authorization', value: SECRET_MASK });
    expect(masked.headers).toContainEqual({ name: 'x-api-key', value: SECRET_MASK });
    // Every header is a secret unless its name is on the harmless list.
    expect(masked.headers).toContainEqual({ name: 'x-request-source', value: SECRET_MASK });
    expect(masked.headers).toContainEqual({ name: 'content-type', value: 'application/json' });
    const everything = JSON.stringify([h.log.events, h.persisted.map((p) => p.request)]);
    expect(everything).not.toContain('s3cr3t');
    expect(everything).not.toContain('k3y-value');
    expect(everything).not.toContain(Buffer.from('api:s3cr3t-basic').toString('base64'));

    const bearer = action(dns.url('/t'), { auth: 'bearer', pass: 'tok-123' });
    const s2 = newActionStatus('failback', true, 'r', Date.now());
    await new ActionRun(harness(() => s2).deps, pair, bearer, s2, 'failover').done;
    expect(dns.requests[1]!.headers['authorization']).toBe('Bearer tok-123');
    expect(JSON.stringify(maskedActionRequest(pair, bearer, s2, 'failover', 'starting'))).not.toContain('tok-123');
  });
});

describe('action runner: the recorded request shows no secret (trust issue, item 8)', () => {
  it('renders {primary} and {standby} masked, and masks a body or header marked secret, while the wire gets them all', async () => {
    const dns = await receiver();
    const pair = pairSettings({
      primaryUrl: 'http://mon:primary-pw@127.0.0.1:9/status?token=primary-tok',
      standbyUrl: 'http://127.0.0.1:9/?apikey=standby-key',
    });
    const settings = action(dns.url('/hook'), {
      encoding: 'json',
      body: '{"from":"{primary}","to":"{standby}"}',
      headers: [
        { name: 'Accept', value: 'application/json' },
        { name: 'X-Ovh-Consumer', value: 'ck-value' },
      ],
    });
    const status = newActionStatus('failover', false, 'r', Date.now());
    await new ActionRun(harness(() => status).deps, pair, settings, status, 'verifying').done;
    expect(dns.requests[0]!.body).toBe(
      '{"from":"http://mon:primary-pw@127.0.0.1:9/status?token=primary-tok","to":"http://127.0.0.1:9/?apikey=standby-key"}',
    );
    expect(dns.requests[0]!.headers['x-ovh-consumer']).toBe('ck-value');
    const recorded = status.request!;
    expect(recorded.body).toBe(
      `{"from":"http://mon:${SECRET_MASK}@127.0.0.1:9/status?token=${SECRET_MASK}","to":"http://127.0.0.1:9/?apikey=${SECRET_MASK}"}`,
    );
    expect(recorded.headers).toContainEqual({ name: 'accept', value: 'application/json' });
    expect(recorded.headers).toContainEqual({ name: 'x-ovh-consumer', value: SECRET_MASK });

    // {primary} in the URL too, and a body and a harmless-named header marked secret.
    const marked = action(dns.url('/hook?from={primary}'), {
      body: '{"apikey":"literal-secret"}',
      bodySecret: true,
      headers: [{ name: 'User-Agent', value: 'ua-secret', secret: true }],
    });
    const s2 = newActionStatus('failover', false, 'r', Date.now());
    await new ActionRun(harness(() => s2).deps, pair, marked, s2, 'verifying').done;
    expect(dns.requests[1]!.body).toBe('{"apikey":"literal-secret"}');
    expect(dns.requests[1]!.headers['user-agent']).toBe('ua-secret');
    const text = JSON.stringify(s2.request);
    for (const secret of ['primary-pw', 'primary-tok', 'literal-secret', 'ua-secret'])
      expect(text).not.toContain(secret);
    expect(s2.request!.body).toBe(SECRET_MASK);
  });
});

describe('action runner: through the watcher', () => {
  it('keeps the pair in failover when the action fails; retryAction starts a new series', async () => {
    const primary = await receiver();
    const dns = await receiver(500);
    const h = startWatcher(pairSettings({ primaryUrl: primary.url(), actionUrl: dns.url(), toleratedFailures: 0 }));
    cleanups.push(() => h.stop());
    await waitFor(() => h.watcher.currentState === 'waiting', 'waiting');
    expect(() => h.watcher.retryAction()).toThrow(/no action to retry/);
    h.watcher.failover('test', 'dave');
    expect(() => h.watcher.retryAction()).toThrow(
      /only a failed action or one whose outcome is unknown can be retried/,
    );
    await waitFor(() => h.watcher.status().action?.phase === 'failed', 'action failed');
    expect(dns.hits).toBe(3);
    expect(h.watcher.currentState).toBe('failover');
    expect(h.log.alerts('action-failed')).toHaveLength(1);
    dns.setStatus(200);
    h.watcher.retryAction();
    await waitFor(() => h.watcher.status().action?.phase === 'succeeded', 'retry succeeded');
    expect(dns.hits).toBe(4);
    expect(h.watcher.status().action!.attempts).toHaveLength(1);
    expect(h.watcher.currentState).toBe('failover');
  });
});
