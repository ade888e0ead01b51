import { describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml, type ConfigParseResult } from '../../src/core/config-xml.js';
import { validatePairSettings } from '../../src/shared/validate.js';
import { xmlPathOf } from '../../src/shared/xml-names.js';
import type { Problem } from '../../src/shared/model.js';
import { configWith, minimalPair } from '../helpers/xml-samples.js';

function ok(result: ConfigParseResult) {
  if (!result.ok) throw new Error(`expected a valid file, got ${JSON.stringify(result.problems)}`);
  return result;
}

function problems(xml: string): Problem[] {
  const result = parseConfigXml(xml);
  if (result.ok) throw new Error('expected problems, the file was accepted');
  return result.problems;
}

const CONTRACT = configWith(
  minimalPair(
    'acme',
    `
    <primary-sip transport="udp" accept="200-299">sip:198.18.1.2:5060</primary-sip>
    <standby-sip transport="tcp">sip:198.18.2.2:5060</standby-sip>`,
  ),
);

describe('<primary-sip> and <standby-sip>', () => {
  it('reads the contract example, with the defaults filled in', () => {
    const { config } = ok(parseConfigXml(CONTRACT));
    const s = config.pairs[0]!.settings;
    expect(s.primarySip).toEqual({ uri: 'sip:198.18.1.2:5060', transport: 'udp', accept: '200-299' });
    expect(s.standbySip).toEqual({ uri: 'sip:198.18.2.2:5060', transport: 'tcp', accept: '200-299' });
  });

  it('sips: implies tls; verify="true" is kept; transport defaults to udp', () => {
    const { config } = ok(
      parseConfigXml(
        configWith(
          minimalPair(
            'a',
            `<primary-sip accept="200-299,403,404,405,488" verify="true">sips:pbx.example.com</primary-sip>
             <standby-sip>sip:[2001:db8::2]</standby-sip>`,
          ),
        ),
      ),
    );
    const s = config.pairs[0]!.settings;
    expect(s.primarySip).toEqual({
      uri: 'sips:pbx.example.com',
      transport: 'tls',
      accept: '200-299,403,404,405,488',
      verify: true,
    });
    expect(s.standbySip).toEqual({ uri: 'sip:[2001:db8::2]', transport: 'udp', accept: '200-299' });
  });

  it('round-trips: parse, write, parse gives the same settings and the same text', () => {
    const first = ok(parseConfigXml(CONTRACT));
    const text = serializeConfigXml(first.config, { base: first.document });
    expect(text).toContain('<primary-sip transport="udp" accept="200-299">sip:198.18.1.2:5060</primary-sip>');
    expect(text).toContain('<standby-sip transport="tcp" accept="200-299">sip:198.18.2.2:5060</standby-sip>');
    const second = ok(parseConfigXml(text));
    expect(second.config).toEqual(first.config);
    expect(serializeConfigXml(second.config, { base: second.document })).toBe(text);
  });

  it('writes a changed setting back in place, keeps unknown attributes, drops verify once turned off', () => {
    const xml = configWith(
      minimalPair('a', `<primary-sip transport="tls" verify="true" x-note="noc">sips:198.18.1.2</primary-sip>`),
    );
    const first = ok(parseConfigXml(xml));
    const settings = first.config.pairs[0]!.settings;
    const { verify: _verify, ...rest } = settings.primarySip!;
    const changed = { pairs: [{ settings: { ...settings, primarySip: { ...rest, accept: '200,486' } } }] };
    const text = serializeConfigXml(changed, { base: first.document });
    expect(text).toContain('<primary-sip transport="tls" x-note="noc" accept="200,486">sips:198.18.1.2</primary-sip>');
    // Removing the element from the settings removes it from the file.
    const { primarySip: _p, ...without } = settings;
    expect(serializeConfigXml({ pairs: [{ settings: without }] }, { base: first.document })).not.toContain(
      'primary-sip',
    );
  });

  it('names the element and attribute of every problem', () => {
    const found = problems(
      configWith(
        minimalPair('a', `<primary-sip transport="sctp" accept="2xx">sip:198.18.1.2:5060</primary-sip>`),
        minimalPair('b', `<standby-sip transport="udp">sips:198.18.2.2</standby-sip>`),
        minimalPair('c', `<primary-sip>http://198.18.1.2/</primary-sip>`),
        minimalPair('d', `<primary-sip verify="yes">sip:198.18.1.2:99999</primary-sip>`),
        minimalPair('e', `<standby-sip verify="true">sip:198.18.1.2</standby-sip><standby-sip>sip:x</standby-sip>`),
        minimalPair('f', `<primary-sip transport="tcp"></primary-sip>`),
      ),
    );
    const byPair = (pair: string) => found.filter((p) => p.pair === pair).map((p) => p.field);
    expect(byPair('a')).toEqual(['primarySip.transport', 'primarySip.accept']);
    expect(byPair('b')).toEqual(['standbySip.transport']);
    expect(byPair('c')).toEqual(['primarySip.uri']);
    expect(byPair('d').sort()).toEqual(['primarySip.uri', 'primarySip.verify']);
    expect(byPair('e')).toContain('standbySip.verify');
    expect(byPair('e')).toContain('standbySip');
    expect(byPair('f')).toEqual(['primarySip.uri']);
    expect(found.find((p) => p.pair === 'a' && p.field === 'primarySip.transport')!.message).toBe(
      'must be one of udp, tcp, tls, got "sctp"',
    );
    expect(found.find((p) => p.pair === 'd' && p.field === 'primarySip.uri')!.message).toContain('65535');
    expect(xmlPathOf('primarySip.transport')).toBe('primary-sip/@transport');
    expect(xmlPathOf('standbySip.accept')).toBe('standby-sip/@accept');
    expect(xmlPathOf('primarySip.uri')).toBe('primary-sip');
  });
});

describe('validation of SIP settings from the API', () => {
  const base = {
    id: 'a',
    primaryUrl: 'http://192.0.2.10/',
    interval: 1,
    toleratedFailures: 1,
    validation: { quorum: 0, urls: [] },
    action: { url: 'http://192.0.2.99/' },
  };

  it('fills the defaults: port by transport, accept 200-299', () => {
    const r = validatePairSettings({ ...base, primarySip: { uri: 'sip:pbx.example.com' } });
    expect(r.ok && r.settings.primarySip).toEqual({ uri: 'sip:pbx.example.com', transport: 'udp', accept: '200-299' });
  });

  it('refuses what is not an object, a user part, parameters, a bad host', () => {
    for (const [value, field] of [
      ['sip:1.2.3.4', 'primarySip'],
      [{ uri: 'sip:alice@1.2.3.4' }, 'primarySip.uri'],
      [{ uri: 'sip:1.2.3.4;transport=tcp' }, 'primarySip.uri'],
      [{ uri: 'sip:bad_host!' }, 'primarySip.uri'],
      [{ uri: 'sip:2001:db8::1' }, 'primarySip.uri'],
      [{ uri: 'sip:1.2.3.4', accept: 200 }, 'primarySip.accept'],
      [{ uri: 'sip:1.2.3.4', transport: 'tcp', verify: true }, 'primarySip.verify'],
    ] as const) {
      const r = validatePairSettings({ ...base, primarySip: value });
      expect(r.ok ? [] : r.problems.map((p) => p.field)).toEqual([field]);
    }
  });
});
