// The two-person requests on a fake clock and fake timers: a request lapses at exactly 10 minutes and
// then fires nothing; an approval fires the held move once; XML <policy> survives a round trip.

import { describe, expect, it } from 'vitest';
import { TwoPersonRequests } from '../../src/core/requests-two-person.js';
import { parseConfigXml, serializeConfigXml } from '../../src/core/config-xml.js';
import type { Clock, Timers } from '../../src/core/ports.js';
import type { EngineEvent } from '../../src/shared/model.js';
import type { TwoPersonRequest } from '../../src/shared/two-person.js';

class FakeTime implements Clock, Timers {
  ms = Date.parse('2026-12-02T20:00:00Z');
  private pending: { at: number; fn: () => void; handle: number }[] = [];
  private next = 1;
  monotonic = () => this.ms;
  now = () => this.ms;
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.next++;
    this.pending.push({ at: this.ms + ms, fn, handle });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.handle !== handle);
  }
  advance(ms: number): void {
    this.ms += ms;
    const due = this.pending.filter((t) => t.at <= this.ms);
    this.pending = this.pending.filter((t) => t.at > this.ms);
    for (const t of due) t.fn();
  }
}

function setup() {
  const time = new FakeTime();
  const events: EngineEvent[] = [];
  const performed: TwoPersonRequest[] = [];
  const requests = new TwoPersonRequests({
    clock: time,
    timers: time,
    emit: (e) => void events.push(e),
    perform: async (r) => void performed.push(r),
  });
  return { time, events, performed, requests };
}

const alice = { name: 'alice', role: 'operator' as const };
const bob = { name: 'bob', role: 'operator' as const };

describe('TwoPersonRequests', () => {
  it('lapses at exactly 10 minutes, after which an approval is refused and nothing is performed', async () => {
    const { time, events, performed, requests } = setup();
    const req = requests.create({ pair: 'acme', action: 'failover', requestedBy: 'alice', reason: 'drill' });
    time.advance(599_999);
    expect(requests.list()[0]!.state).toBe('pending');
    time.advance(1);
    expect(requests.list()[0]!.state).toBe('lapsed');
    await expect(requests.approve(req.id, { reason: 'ok', identity: bob })).rejects.toThrow(/lapsed already/);
    expect(performed).toEqual([]);
    expect(events.map((e) => (e.type === 'operator' ? `${e.action}:${e.operator}:${e.outcome}` : e.type))).toEqual([
      'request:alice:ok',
      'alert',
      'reject:policy:ok',
      'approve:bob:failed',
    ]);
  });

  it('performs once on the approval of a different person, never on the requester’s own', async () => {
    const { time, performed, requests } = setup();
    const req = requests.create({ pair: 'acme', action: 'remove', requestedBy: 'alice', reason: 'gone', force: true });
    await expect(requests.approve(req.id, { reason: 'me', identity: alice })).rejects.toThrow(/cannot approve it too/);
    await expect(requests.approve(req.id, { reason: 'me', operator: 'bob' })).rejects.toThrow(/named token/);
    time.advance(60_000);
    const done = await requests.approve(req.id, { reason: 'confirmed', identity: bob });
    expect(done).toMatchObject({ state: 'approved', decidedBy: 'bob', decisionReason: 'confirmed', outcome: 'ok' });
    await expect(requests.approve(req.id, { reason: 'again', identity: bob })).rejects.toThrow(/approved already/);
    expect(performed.map((r) => [r.action, r.force])).toEqual([['remove', true]]);
    time.advance(600_000);
    expect(requests.list()[0]!.state).toBe('approved');
  });
});

describe('<policy> in pbxctrl-failover.xml', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<pbxctrl-failover version="1">
  <!-- the NOC's rule -->
  <policy two-person="failover remove" owner="noc"/>
</pbxctrl-failover>
`;

  it('is read into the policy and written back in place, keeping unknown attributes', () => {
    const parsed = parseConfigXml(xml);
    expect(parsed.ok && parsed.config.policy).toEqual({ twoPerson: ['failover', 'remove'] });
    if (!parsed.ok) return;
    const out = serializeConfigXml(
      { ...parsed.config, policy: { twoPerson: ['failback'] } },
      { base: parsed.document },
    );
    expect(out).toMatch(/<!-- the NOC's rule -->\s*<policy two-person="failback" owner="noc"\/>/);
    expect(serializeConfigXml({ pairs: [] }, { base: parsed.document })).not.toContain('<policy');
  });

  it('names <policy> for a repeated word or a second element', () => {
    const twice = parseConfigXml(xml.replace('failover remove', 'failover failover'));
    expect(!twice.ok && twice.problems).toEqual([
      { field: 'policy', message: '<policy two-person>: "failover" is named twice' },
    ]);
    const two = parseConfigXml(xml.replace('<!--', '<policy two-person="remove"/><!--'));
    expect(!two.ok && two.problems[0]!.message).toMatch(/<policy> is written 2 times/);
  });
});
