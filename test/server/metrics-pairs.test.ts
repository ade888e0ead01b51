// The per-pair series writer on its own: label escaping, the histogram's cumulative buckets, and the
// events of the checks beside the state machine (certificates, DNS), with the text checked by promtool.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PairSeries, escapeLabel } from '../../src/server/metrics-pairs.js';
import type { DnsEvent, EngineEvent, PairStatus } from '../../src/shared/model.js';

const at = '2026-12-02T10:00:00.000Z';

function status(id: string, extra: Partial<PairStatus> = {}): PairStatus {
  return {
    id,
    name: id,
    state: 'waiting',
    since: at,
    consecutiveFailures: 0,
    toleratedFailures: 2,
    interval: 1,
    primaryAnswering: false,
    standbyDown: false,
    isolated: false,
    ...extra,
  };
}

function check(pair: string, latencyMs: number, ok = true): EngineEvent {
  return {
    type: 'check',
    pair,
    at,
    consecutiveFailures: 0,
    result: { target: 'primary', url: 'u', ok, latencyMs, at },
  };
}

describe('PairSeries', () => {
  it('escapes label values as the text format requires', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it('writes cumulative buckets, sum and count per pair and target', () => {
    const series = new PairSeries();
    series.record(check('acme', 3));
    series.record(check('acme', 40));
    series.record(check('acme', 7000, false));
    const text = series.render([status('acme')]);
    expect(text).toContain('pbx_check_duration_seconds_bucket{pair="acme",target="primary",le="0.01"} 1');
    expect(text).toContain('pbx_check_duration_seconds_bucket{pair="acme",target="primary",le="0.05"} 2');
    expect(text).toContain('pbx_check_duration_seconds_bucket{pair="acme",target="primary",le="5"} 2');
    expect(text).toContain('pbx_check_duration_seconds_bucket{pair="acme",target="primary",le="+Inf"} 3');
    expect(text).toContain('pbx_check_duration_seconds_count{pair="acme",target="primary"} 3');
    expect(text).toContain('pbx_checks_total{pair="acme",target="primary",result="failed"} 1');
  });

  it('keeps certificate expiry and DNS convergence from their events, and forgets a pair gone from the list', () => {
    const series = new PairSeries();
    series.record({
      type: 'certificates',
      pair: 'acme',
      at,
      certificates: [{ target: 'standby', address: '198.18.2.2:443', notAfter: '2027-01-01T00:00:00.000Z' }],
    } as unknown as EngineEvent);
    const round = (phase: DnsEvent['phase'], elapsed: number): DnsEvent => ({
      type: 'dns',
      pair: 'acme',
      at,
      kind: 'failover',
      phase,
      expected: ['198.51.100.20'],
      servers: [],
      elapsed,
    });
    series.record(round('checking', 10));
    series.record({ ...round('converged', 12.5), message: 'DNS converged in 12.5 s' });
    const text = series.render([status('acme', { ready: false, certificateDaysLeft: 30 })]);
    expect(text).toContain(
      `pbx_certificate_expiry_timestamp_seconds{pair="acme",target="standby",address="198.18.2.2:443"} ${Date.parse('2027-01-01T00:00:00.000Z') / 1000}`,
    );
    expect(text).toContain('pbx_dns_convergence_seconds{pair="acme"} 12.5');
    expect(text).toContain('pbx_pair_ready{pair="acme"} 0');
    if (existsSync('/usr/bin/promtool')) {
      const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    }
    expect(series.render([])).not.toContain('acme');
  });

  it('writes thousands of pairs and labels beyond ASCII whole, scrape after scrape', () => {
    const series = new PairSeries();
    const ids = Array.from({ length: 3000 }, (_, i) => `pair-${i}`);
    ids.push('zürich "a"\\b');
    for (const id of ids) series.record(check(id, 3));
    const list = ids.map((id, i) => status(id, { consecutiveFailures: i * 100_003 }));
    const first = series.render(list);
    expect(first).toContain('pbx_check_duration_seconds_count{pair="zürich \\"a\\"\\\\b",target="primary"} 1');
    expect(first).toContain('pbx_pair_consecutive_failures{pair="pair-2999"} 299908997');
    // A state line per state per pair, and every line whole.
    const lines = first.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('pbx_pair_state{')).length).toBe(ids.length * 5);
    for (const line of lines) expect(line).toMatch(/^(# (HELP|TYPE) .+|[a-z_]+\{.*\} [0-9.e+-]+)$/);
    series.record(check('pair-7', 30));
    const second = series.render(list);
    expect(second).toContain('pbx_check_duration_seconds_count{pair="pair-7",target="primary"} 2');
    expect(second.length).toBe(first.length);
    if (existsSync('/usr/bin/promtool')) {
      const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: second, encoding: 'utf8' });
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    }
  });
});
