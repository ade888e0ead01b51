import { describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml, type ConfigParseResult } from '../../src/core/config-xml.js';
import type { Problem } from '../../src/shared/model.js';
import { minimalPair } from '../helpers/xml-samples.js';

function ok(result: ConfigParseResult) {
  if (!result.ok) throw new Error(`expected a valid file, got ${JSON.stringify(result.problems)}`);
  return result;
}

function problems(xml: string): Problem[] {
  const result = parseConfigXml(xml);
  if (result.ok) throw new Error('expected problems, the file was accepted');
  return result.problems;
}

const file = (...parts: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<pbxctrl-failover version="1">\n${parts.join('\n')}\n</pbxctrl-failover>\n`;

const CONTRACT = file(
  minimalPair('acme'),
  minimalPair('beta'),
  `  <maintenance id="dc1-network" reason="DC-1 router replacement">
    <pairs>acme beta</pairs>
    <once start="2026-12-06T22:00:00Z" end="2026-12-06T23:30:00Z"/>
  </maintenance>
  <maintenance id="pbx-updates" reason="weekly PBX update">
    <pairs>acme</pairs>
    <every cron="0 3 * * 0" duration="5400" tz="Europe/Berlin"/>  <!-- croner syntax, seconds -->
  </maintenance>
  <maintenance id="everything" reason="all of them">
    <pairs all="true"/>
    <once start="2026-12-07T22:00:00+01:00" end="2026-12-07T23:00:00+01:00"/>
  </maintenance>`,
);

describe('<maintenance> in pbxctrl-failover.xml', () => {
  it('reads the contract example into windows', () => {
    const { config } = ok(parseConfigXml(CONTRACT));
    expect(config.maintenance).toEqual([
      {
        id: 'dc1-network',
        reason: 'DC-1 router replacement',
        pairs: ['acme', 'beta'],
        once: { start: '2026-12-06T22:00:00Z', end: '2026-12-06T23:30:00Z' },
      },
      {
        id: 'pbx-updates',
        reason: 'weekly PBX update',
        pairs: ['acme'],
        every: { cron: '0 3 * * 0', duration: 5400, tz: 'Europe/Berlin' },
      },
      {
        id: 'everything',
        reason: 'all of them',
        pairs: 'all',
        once: { start: '2026-12-07T22:00:00+01:00', end: '2026-12-07T23:00:00+01:00' },
      },
    ]);
  });

  it('round-trips: written back in place with comments and unknown content kept, stable on a second write', () => {
    const withUnknown = CONTRACT.replace(
      '<maintenance id="dc1-network" reason="DC-1 router replacement">',
      '<maintenance id="dc1-network" reason="DC-1 router replacement" ticket="CHG-42">\n    <contact>noc</contact>',
    );
    const first = ok(parseConfigXml(withUnknown));
    const text = serializeConfigXml(first.config, { base: first.document });
    expect(text).toContain('ticket="CHG-42"');
    expect(text).toContain('<contact>noc</contact>');
    expect(text).toContain('<!-- croner syntax, seconds -->');
    expect(text).toContain('<pairs all="true"/>');
    const second = ok(parseConfigXml(text));
    expect(second.config).toEqual(first.config);
    expect(serializeConfigXml(second.config, { base: second.document })).toBe(text);
  });

  it('writes changed, added and removed windows; a pair list replaces all="true"', () => {
    const first = ok(parseConfigXml(CONTRACT));
    const windows = first.config.maintenance!;
    const next = [
      { ...windows[2]!, pairs: ['beta'] },
      windows[1]!,
      { id: 'new-one', reason: 'new', pairs: ['acme'], every: { cron: '0 1 * * *', duration: 60 } },
    ];
    const text = serializeConfigXml({ ...first.config, maintenance: next }, { base: first.document });
    const again = ok(parseConfigXml(text));
    expect(again.config.maintenance!.map((w) => w.id)).toEqual(['pbx-updates', 'everything', 'new-one']);
    expect(again.config.maintenance![1]!.pairs).toEqual(['beta']);
    expect(text).not.toContain('dc1-network');
    expect(text).not.toContain('all="true"');
    // Without windows in the configuration, the file's windows stay as they are.
    const kept = serializeConfigXml({ pairs: first.config.pairs }, { base: first.document });
    expect(ok(parseConfigXml(kept)).config.maintenance).toEqual(windows);
  });

  it('lists every problem of every window, naming the window', () => {
    const found = problems(
      file(
        minimalPair('acme'),
        `  <maintenance id="a" reason="">
    <pairs>acme ghost</pairs>
    <once start="2026-12-06T23:00:00Z" end="2026-12-06T22:00:00Z"/>
  </maintenance>
  <maintenance id="b" reason="r">
    <pairs all="maybe"/>
    <every cron="not a cron" duration="0" tz="Nowhere/City"/>
  </maintenance>
  <maintenance id="b" reason="r"><pairs>acme</pairs><every cron="0 3 * * 0" duration="60"/><every cron="0 4 * * 0" duration="60"/></maintenance>`,
      ),
    );
    const fields = found.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'maintenance[a].reason',
        'maintenance[a].pairs',
        'maintenance[a].once.end',
        'maintenance[b].pairs.all',
        'maintenance[b].every.cron',
        'maintenance[b].every.duration',
        'maintenance[b].every.tz',
        'maintenance[b].every',
        'maintenance[b].id',
      ]),
    );
    expect(found.find((p) => p.field === 'maintenance[a].pairs')!.message).toContain('ghost');
  });

  it('a pause set by a window is kept on <state> as paused-by="schedule"; an unknown value is a problem', () => {
    const paused = file(
      minimalPair(
        'acme',
        '\n    <state since="2026-12-06T22:00:00Z" reason="maintenance w: r" paused-by="schedule">paused</state>',
      ),
    );
    const first = ok(parseConfigXml(paused));
    expect(first.config.pairs[0]!.persisted).toMatchObject({ state: 'paused', pausedBy: 'schedule' });
    const text = serializeConfigXml(first.config, { base: first.document });
    expect(text).toContain('paused-by="schedule"');
    // An operator's pause (no attribute) writes none, and a rewrite drops the old one.
    const byHand = {
      ...first.config.pairs[0]!,
      persisted: { state: 'paused' as const, since: '2026-12-06T22:00:00Z' },
    };
    expect(serializeConfigXml({ pairs: [byHand] }, { base: first.document })).not.toContain('paused-by');
    expect(problems(paused.replace('paused-by="schedule"', 'paused-by="cron"')).map((p) => p.field)).toEqual([
      'state.paused-by',
    ]);
  });
});
