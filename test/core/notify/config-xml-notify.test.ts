// <notify> in pbxctrl-failover.xml: the example read as written, written back in place with
// unknown content kept, every secret masked in a masked export, a masked export imported back
// keeping the stored secrets, and bad channels named in problems.

import { describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml } from '../../../src/core/config-xml.js';
import { SECRET_MASK } from '../../../src/shared/model.js';
import type { NotifySettings } from '../../../src/shared/notify.js';
import { configWith, minimalPair } from '../../helpers/xml-samples.js';

const CHANNELS = `
<notify id="noc-slack" type="slack" min-severity="warning"><url>https://hooks.slack.com/services/T0/B0/x</url></notify>
<notify id="noc-teams" type="teams"><url>https://example.webhook.office.com/workflows/abc?sig=SIGSECRET</url></notify>
<notify id="oncall" type="pagerduty" min-severity="critical"><routing-key>R0UT1NGK3Y</routing-key></notify>
<notify id="ops-mail" type="email"><smtp>smtp://user:pass@mail.example.com:587</smtp><from>pbx-monitor@example.com</from><to>noc@example.com</to></notify>
<notify id="hook" type="webhook" method="POST" encoding="json" pairs="acme beta" x-theirs="kept">
  <url>https://hooks.example.net/pbx</url><header name="X-Token">t0k3n</header>
  <body>{"pair":"{pair}","kind":"{alert}","severity":"{severity}","text":"{text}","resolved":{resolved}}</body>
</notify>`;

const xml = (channels = CHANNELS) =>
  configWith(minimalPair('acme'), minimalPair('beta')).replace(
    '</pbxctrl-failover>',
    `${channels}\n</pbxctrl-failover>`,
  );

function channelsOf(text: string, existing?: NotifySettings[]): NotifySettings[] {
  const r = parseConfigXml(text, existing ? { existingNotify: (id) => existing.find((c) => c.id === id) } : {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config.notify ?? [];
}

describe('<notify> in the XML', () => {
  it('reads the contract example', () => {
    const c = channelsOf(xml());
    expect(c.map((x) => [x.id, x.type, x.minSeverity])).toEqual([
      ['noc-slack', 'slack', 'warning'],
      ['noc-teams', 'teams', 'info'],
      ['oncall', 'pagerduty', 'critical'],
      ['ops-mail', 'email', 'info'],
      ['hook', 'webhook', 'info'],
    ]);
    expect(c[2]!.routingKey).toBe('R0UT1NGK3Y');
    expect(c[3]).toMatchObject({
      smtp: 'smtp://user:pass@mail.example.com:587',
      from: 'pbx-monitor@example.com',
      to: ['noc@example.com'],
    });
    expect(c[4]).toMatchObject({
      method: 'POST',
      encoding: 'json',
      pairs: ['acme', 'beta'],
      headers: [{ name: 'X-Token', value: 't0k3n' }],
    });
    expect(c[4]!.body).toBe(
      '{"pair":"{pair}","kind":"{alert}","severity":"{severity}","text":"{text}","resolved":{resolved}}',
    );
  });

  it('writes the channels back in place, keeping unknown attributes, and reads them back equal', () => {
    const first = parseConfigXml(xml());
    if (!first.ok) throw new Error('invalid');
    const out = serializeConfigXml(first.config, { base: first.document });
    expect(out).toContain('x-theirs="kept"');
    expect(out.indexOf('id="noc-slack"')).toBeGreaterThan(out.lastIndexOf('<pair'));
    expect(channelsOf(out)).toEqual(first.config.notify);
    // A channel removed from the configuration is removed from the file; a new one is added.
    const changed = {
      ...first.config,
      notify: [
        ...first.config.notify!.slice(1),
        {
          id: 'new',
          type: 'slack',
          minSeverity: 'info',
          headers: [],
          url: 'https://hooks.slack.com/services/N/E/W',
        } as NotifySettings,
      ],
    };
    const out2 = serializeConfigXml(changed, { base: first.document });
    expect(out2).not.toContain('noc-slack');
    expect(channelsOf(out2).map((x) => x.id)).toEqual(['noc-teams', 'oncall', 'ops-mail', 'hook', 'new']);
  });

  it('masks every secret in a masked export, and a masked export keeps the stored secrets', () => {
    const first = parseConfigXml(xml());
    if (!first.ok) throw new Error('invalid');
    const masked = serializeConfigXml(first.config, { base: first.document, masked: true });
    for (const secret of ['T0/B0/x', 'SIGSECRET', 'R0UT1NGK3Y', 'user:pass@', 't0k3n'])
      expect(masked).not.toContain(secret);
    expect(masked).toContain(`https://hooks.slack.com/services/${SECRET_MASK}`);
    expect(masked).toContain(`smtp://user:${SECRET_MASK}@mail.example.com:587`);
    expect(masked).toContain(`<routing-key>${SECRET_MASK}</routing-key>`);
    // Without the stored channels the mask is refused, naming the channel and the field.
    const refused = parseConfigXml(masked);
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.problems.map((p) => p.field)).toEqual(
        expect.arrayContaining([
          'notify[noc-slack].url',
          'notify[oncall].routing-key',
          'notify[ops-mail].smtp',
          'notify[hook].header[0].value',
        ]),
      );
    expect(channelsOf(masked, first.config.notify)).toEqual(first.config.notify);
  });

  it('names the channel and the element of every problem', () => {
    const r = parseConfigXml(
      xml(`<notify id="a" type="sms"/>
<notify id="b" type="slack"/>
<notify id="c" type="pagerduty" min-severity="loud"><routing-key>k</routing-key></notify>
<notify id="d" type="email"><smtp>http://x</smtp><from>nobody</from></notify>
<notify id="e" type="webhook" method="FETCH"><url>https://h.example/{nope}</url><header name="bad name">v</header></notify>
<notify id="e" type="slack"><url>https://hooks.slack.com/services/a</url></notify>
<notify id="f" type="slack"><url>https://hooks.slack.com/services/a</url><url>https://x.example/</url></notify>`),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'notify[a].type',
        'notify[b].url',
        'notify[c].min-severity',
        'notify[d].smtp',
        'notify[d].from',
        'notify[d].to',
        'notify[e].method',
        'notify[e].url',
        'notify[e].header[0].name',
        'notify[f].url',
      ]),
    );
    expect(r.problems.find((p) => p.field === 'notify[e].url')!.message).toContain('{nope}');
  });
});
