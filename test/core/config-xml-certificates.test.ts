// <certificates> in pbxctrl-failover.xml: read into settings, written back, unknown content kept,
// invalid content a problem naming the element.

import { describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml } from '../../src/core/config-xml.js';
import { configWith, minimalPair } from '../helpers/xml-samples.js';

const CERTS = `<certificates warn-days="30" critical-days="10" x-note="kept">
      <check name="pbx.example.com" address="198.18.2.2:443"/>
      <check name="pbx.example.com" address="198.18.2.2:5061"/>
    </certificates>`;

describe('<certificates> in the XML', () => {
  it('is read into settings and written back unchanged, unknown attributes kept', () => {
    const first = parseConfigXml(configWith(minimalPair('acme', CERTS)));
    if (!first.ok) throw new Error(JSON.stringify(first.problems));
    expect(first.config.pairs[0]!.settings.certificates).toEqual({
      warnDays: 30,
      criticalDays: 10,
      checks: [
        { name: 'pbx.example.com', address: '198.18.2.2:443' },
        { name: 'pbx.example.com', address: '198.18.2.2:5061' },
      ],
    });
    const text = serializeConfigXml(first.config, { base: first.document });
    expect(text).toContain('<certificates warn-days="30" critical-days="10" x-note="kept">');
    expect(text).toContain('<check name="pbx.example.com" address="198.18.2.2:5061"/>');
    const second = parseConfigXml(text);
    if (!second.ok) throw new Error(JSON.stringify(second.problems));
    expect(second.config).toEqual(first.config);
    expect(serializeConfigXml(second.config, { base: second.document })).toBe(text);
  });

  it('an empty element means the defaults and is written with them', () => {
    const r = parseConfigXml(configWith(minimalPair('acme', '<certificates/>')));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.pairs[0]!.settings.certificates).toEqual({ warnDays: 21, criticalDays: 7, checks: [] });
    expect(serializeConfigXml(r.config)).toContain('<certificates warn-days="21" critical-days="7"/>');
  });

  it('a pair without it is written without it', () => {
    const r = parseConfigXml(configWith(minimalPair('acme')));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(serializeConfigXml(r.config)).not.toContain('certificates');
  });

  it('invalid content is a problem naming the pair and the field', () => {
    const r = parseConfigXml(
      configWith(
        minimalPair(
          'acme',
          '<certificates warn-days="7" critical-days="many"><check name="pbx.example.com" address="nowhere"/></certificates>',
        ),
      ),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      {
        pair: 'acme',
        field: 'certificates.criticalDays',
        message: 'must be a whole number of days, at least 1, got "many"',
      },
      {
        pair: 'acme',
        field: 'certificates.checks[0].address',
        message: '"nowhere" is not host:port (e.g. 198.18.2.2:5061 or [2001:db8::2]:443)',
      },
    ]);
  });

  it('twice in one pair is a problem', () => {
    const r = parseConfigXml(configWith(minimalPair('acme', '<certificates/><certificates/>')));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toBe('<certificates> appears more than once in this <pair>');
  });
});
