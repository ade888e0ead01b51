import { describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml, type ConfigParseResult } from '../../src/core/config-xml.js';
import type { FailoverConfig, PairRecord } from '../../src/core/ports.js';
import { SECRET_MASK, type Problem } from '../../src/shared/model.js';
import { CONTRACT_SAMPLE, RICH_SAMPLE, configWith, minimalPair } from '../helpers/xml-samples.js';

function ok(result: ConfigParseResult) {
  if (!result.ok) throw new Error(`expected a valid file, got ${JSON.stringify(result.problems)}`);
  return result;
}

function problems(xml: string, opts?: { maxBytes?: number }): Problem[] {
  const result = parseConfigXml(xml, opts);
  if (result.ok) throw new Error('expected problems, the file was accepted');
  expect(result.problems.length).toBeGreaterThan(0);
  for (const p of result.problems) expect(p.field).not.toBe('');
  return result.problems;
}

function roundTrip(xml: string): { first: FailoverConfig; text: string } {
  const first = ok(parseConfigXml(xml));
  const text = serializeConfigXml(first.config, { base: first.document });
  const second = ok(parseConfigXml(text));
  expect(second.config).toEqual(first.config);
  // Writing what was read back in changes nothing any more.
  expect(serializeConfigXml(second.config, { base: second.document })).toBe(text);
  return { first: first.config, text };
}

describe('reading the contract', () => {
  it('maps the example of the contract onto settings and state', () => {
    const { config } = ok(parseConfigXml(CONTRACT_SAMPLE));
    expect(config.pairs).toEqual([
      {
        settings: {
          id: 'acme',
          name: 'ACME Corp',
          primaryUrl: 'http://192.0.2.10/',
          standbyUrl: 'http://198.51.100.20/',
          interval: 10,
          toleratedFailures: 3,
          timeout: 5,
          acceptStatus: '200',
          validation: { quorum: 1, urls: ['http://www.example.com/'] },
          action: {
            method: 'POST',
            url: 'https://dns.example.net/api/records/pbx?target={standby}',
            encoding: 'json',
            auth: 'basic',
            user: 'api',
            pass: 'secret',
            headers: [{ name: 'X-Request-Source', value: 'pbx-failover-monitor' }],
            body: '{"pair":"{pair}","reason":"{reason}"}',
            retries: 5,
            timeout: 10,
          },
          failbackAction: {
            method: 'POST',
            url: 'https://dns.example.net/api/records/pbx?target={primary}',
            encoding: 'json',
            auth: 'none',
            headers: [],
            body: '{"pair":"{pair}"}',
            retries: 26,
            timeout: 10,
          },
        },
        persisted: { state: 'waiting', since: '2026-11-27T08:00:00Z' },
      },
    ]);
  });

  it('treats empty optional elements as left out', () => {
    const xml = configWith(minimalPair('a', '\n    <standby-url/>\n    <timeout> </timeout>\n    <name></name>'));
    const s = ok(parseConfigXml(xml)).config.pairs[0]!.settings;
    expect(s.standbyUrl).toBeUndefined();
    expect(s.timeout).toBeUndefined();
    expect(s.name).toBe('a');
  });

  it('reads CRLF line ends and a byte-order mark', () => {
    const xml = '\ufeff' + configWith(minimalPair('a')).replace(/\n/g, '\r\n');
    expect(ok(parseConfigXml(xml)).config.pairs[0]!.settings.id).toBe('a');
  });

  it('reads an empty root as no pairs', () => {
    expect(ok(parseConfigXml('<pbxctrl-failover version="1"/>')).config).toEqual({ pairs: [] });
  });
});

describe('round trips', () => {
  it('keeps the rich sample equal through parse, write, parse', () => {
    const { first } = roundTrip(RICH_SAMPLE);
    expect(first.pairs.map((p) => p.settings.id)).toEqual(['acme', 'beta']);
    expect(first.pairs[0]!.persisted!.action!.attempts).toHaveLength(2);
  });

  it('keeps unknown elements, attributes and comments where they were', () => {
    const { text } = roundTrip(RICH_SAMPLE);
    for (const kept of [
      '<!-- maintained by the NOC; ticket 4711 -->',
      '<pbxctrl-failover version="1" owner="noc" xmlns:x="urn:example:extra">',
      '<x:site-info region="eu">Frankfurt &amp; Berlin</x:site-info>',
      '<pair id="acme" x:ticket="4711">',
      '<notes>call <b>Bob</b> first</notes>',
      '<validation quorum="2" x:why="two sites">',
      'x:vendor="pdns"',
      '<x:comment>keep me</x:comment>',
      '<!-- the end of acme -->',
      '<x:footer/>',
      '<!-- trailing comment -->',
    ]) {
      expect(text).toContain(kept);
    }
    // Order: the unknown <notes> still sits between tolerated-failures and accept-status.
    expect(text.indexOf('<tolerated-failures>')).toBeLessThan(text.indexOf('<notes>'));
    expect(text.indexOf('<notes>')).toBeLessThan(text.indexOf('<accept-status>'));
    expect(text.indexOf('<x:comment>')).toBeGreaterThan(text.indexOf('<header name="X-Request-Source">'));
  });

  it('keeps unknown attributes of rewritten text elements', () => {
    const xml = configWith(
      minimalPair('a', '\n    <state since="2026-11-27T08:00:00Z" reason="r" x:by="ops">paused</state>').replace(
        '<interval>1</interval>',
        '<interval unit="s">1</interval>',
      ),
    );
    const read = ok(parseConfigXml(xml));
    const record = read.config.pairs[0]!;
    const text = serializeConfigXml(
      { pairs: [{ ...record, persisted: { state: 'starting', since: '2026-11-27T09:00:00Z' } }] },
      { base: read.document },
    );
    expect(text).toContain('<interval unit="s">1</interval>');
    expect(text).toContain('<state since="2026-11-27T09:00:00Z" x:by="ops">starting</state>');
  });

  it('keeps unknown attributes of a childless <request> once (found by the fuzzer)', () => {
    const xml = RICH_SAMPLE.replace(
      /<request method="PATCH" url="https:\/\/dns.example.net\/api">[\s\S]*?<\/request>/,
      '<request method="PATCH" url="https://dns.example.net/api" ok="false" x:n="1"/>',
    );
    const { text } = roundTrip(xml);
    expect(text).toContain('<request method="PATCH" url="https://dns.example.net/api" ok="false" x:n="1"/>');
  });

  it('rewrites changed values in place and adds new elements in the contract order', () => {
    const read = ok(parseConfigXml(RICH_SAMPLE));
    const acme = read.config.pairs[0]!;
    const changed: PairRecord = {
      settings: {
        ...acme.settings,
        interval: 2,
        timeout: 1.5,
        standbyUrl: undefined as unknown as string,
        action: { ...acme.settings.action, headers: [] },
      },
      persisted: { state: 'waiting', since: '2026-11-27T09:00:00Z' },
    };
    delete (changed.settings as { standbyUrl?: string }).standbyUrl;
    const text = serializeConfigXml({ pairs: [changed, read.config.pairs[1]!] }, { base: read.document });
    expect(text).toContain('<interval>2</interval>');
    expect(text).not.toContain('<standby-url>');
    expect(text).not.toContain('<header ');
    expect(text).not.toContain('<action-progress');
    expect(text).toContain('<x:comment>keep me</x:comment>');
    // The new <timeout> goes right after <tolerated-failures>, before the unknown <notes>.
    expect(text).toMatch(/<tolerated-failures>3<\/tolerated-failures>\n\s*<timeout>1.5<\/timeout>\n\s*<notes>/);
    expect(ok(parseConfigXml(text)).config.pairs[0]).toEqual(changed);
  });

  it('adds new pairs after the last pair and drops removed ones', () => {
    const read = ok(parseConfigXml(RICH_SAMPLE));
    const gamma = ok(parseConfigXml(configWith(minimalPair('gamma')))).config.pairs[0]!;
    const text = serializeConfigXml({ pairs: [read.config.pairs[1]!, gamma] }, { base: read.document });
    expect(text).not.toContain('id="acme"');
    expect(text.indexOf('id="beta"')).toBeLessThan(text.indexOf('id="gamma"'));
    expect(text.indexOf('id="gamma"')).toBeLessThan(text.indexOf('<x:footer/>'));
    expect(text).toContain('<x:site-info');
    expect(ok(parseConfigXml(text)).config.pairs.map((p) => p.settings.id)).toEqual(['beta', 'gamma']);
  });

  it('writes a new file in the contract shape with 2-space indentation', () => {
    const { config } = ok(parseConfigXml(CONTRACT_SAMPLE));
    const text = serializeConfigXml(config);
    expect(
      text.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<pbxctrl-failover version="1">\n  <pair id="acme">\n    <name>ACME Corp</name>\n',
      ),
    ).toBe(true);
    const order = [
      '<name>',
      '<primary-url>',
      '<standby-url>',
      '<interval>',
      '<tolerated-failures>',
      '<timeout>',
      '<accept-status>',
      '<validation',
      '<action ',
      '<failback-action',
      '<state',
    ];
    const positions = order.map((tag) => text.indexOf(tag));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(ok(parseConfigXml(text)).config).toEqual(config);
  });

  it('keeps awkward text exactly: whitespace, CR, tabs, markup characters, unicode', () => {
    const { config } = ok(parseConfigXml(configWith(minimalPair('a'))));
    const settings = config.pairs[0]!.settings;
    const body = '  <x a="1">&amp;</x>\r\n\t{"r":"{reason}"} ]]> é€😀  \n';
    const record: PairRecord = {
      settings: {
        ...settings,
        name: `Tom's "PBX" & <co>`,
        action: {
          ...settings.action,
          body,
          headers: [{ name: 'X-Note', value: ' a\tb "c" ' }],
          user: ' u ',
          pass: 'p&<>"\'',
        },
      },
      persisted: {
        state: 'failover',
        since: '2026-11-27T08:00:00+01:00',
        reason: 'line\nbreak "quoted" & <tagged>',
        action: {
          kind: 'failback',
          phase: 'running',
          manual: false,
          reason: '',
          startedAt: '2026-11-27T08:00:00Z',
          attempts: [{ attempt: 1, at: '2026-11-27T08:00:00Z', ok: true, status: 204, latencyMs: 0.25 }],
          request: { method: 'PUT', url: 'http://192.0.2.99/?a=b&c=d', headers: [], body: '\n' },
        },
      },
    };
    const text = serializeConfigXml({ pairs: [record] });
    expect(ok(parseConfigXml(text)).config.pairs[0]).toEqual(record);
  });

  it('round-trips every phase of the action progress', () => {
    const { config } = ok(parseConfigXml(configWith(minimalPair('a'))));
    for (const phase of ['pending', 'running', 'succeeded', 'failed'] as const) {
      const record: PairRecord = {
        settings: config.pairs[0]!.settings,
        persisted: {
          state: 'failover',
          since: '2026-11-27T08:00:00Z',
          action: {
            kind: 'failover',
            phase,
            manual: true,
            reason: 'maintenance',
            startedAt: '2026-11-27T08:00:00Z',
            ...(phase === 'succeeded' || phase === 'failed' ? { finishedAt: '2026-11-27T08:00:05.5Z' } : {}),
            attempts:
              phase === 'pending'
                ? []
                : [{ attempt: 1, at: '2026-11-27T08:00:01Z', ok: false, latencyMs: 10, error: 'connection refused' }],
          },
        },
      };
      const text = serializeConfigXml({ pairs: [record] });
      expect(ok(parseConfigXml(text)).config.pairs[0]).toEqual(record);
    }
  });

  it('masks every secret when asked to', () => {
    const read = ok(parseConfigXml(RICH_SAMPLE.replace('http://192.0.2.10/', 'http://mon:pw9@192.0.2.10/')));
    const text = serializeConfigXml(read.config, { base: read.document, masked: true });
    expect(text).not.toContain('k3y');
    expect(text).not.toContain('tok&amp;en');
    expect(text).not.toContain('pw9');
    expect(text).toContain(`<pass>${SECRET_MASK}</pass>`);
    expect(text).toContain(`<header name="X-API-Key">${SECRET_MASK}</header>`);
    expect(text).toContain('<x:comment>keep me</x:comment>');
  });
});

describe('errors name the pair and the field', () => {
  function expectProblem(list: Problem[], match: { pair?: string; field: string; message: RegExp }) {
    const found = list.find((p) => p.field === match.field && p.pair === match.pair && match.message.test(p.message));
    expect(
      found,
      `wanted ${JSON.stringify({ ...match, message: String(match.message) })} in ${JSON.stringify(list)}`,
    ).toBeDefined();
  }

  it('malformed XML says line and column', () => {
    const list = problems(
      '<pbxctrl-failover version="1">\n  <pair id="a">\n    <name>x</nam>\n  </pair>\n</pbxctrl-failover>',
    );
    expectProblem(list, { field: 'file', message: /not well-formed XML: line 3, column \d+/ });
  });

  it('refuses DOCTYPE and entity declarations without expanding anything', () => {
    const bomb = `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n<pbxctrl-failover version="1"><x>&lol2;</x></pbxctrl-failover>`;
    expectProblem(problems(bomb), { field: 'file', message: /DOCTYPE and ENTITY declarations are not allowed/ });
    expectProblem(problems('<!doctype pbxctrl-failover><pbxctrl-failover/>'), { field: 'file', message: /DOCTYPE/ });
    expectProblem(problems('<pbxctrl-failover><!ENTITY x "y"></pbxctrl-failover>'), {
      field: 'file',
      message: /ENTITY/,
    });
  });

  it('refuses undeclared entities, naming where they are', () => {
    const list = problems(configWith(minimalPair('a', '\n    <name>ACME &foo;</name>')));
    expectProblem(list, { pair: 'a', field: 'name', message: /unknown entity &foo;/ });
    const list2 = problems(
      configWith(minimalPair('a', '\n    <validation><url>http://203.0.113.1/?a=1&b=2</url></validation>')),
    );
    expectProblem(list2, { field: 'file', message: /not well-formed|&/ });
  });

  it('refuses a file over the size limit', () => {
    const padding = `<!-- ${'x'.repeat(17 * 1024 * 1024)} -->`;
    expectProblem(problems(configWith(minimalPair('a'), padding)), {
      field: 'file',
      message: /is 17 MiB; files over 16 MiB are refused/,
    });
    expectProblem(problems(configWith(minimalPair('a')), { maxBytes: 100 }), {
      field: 'file',
      message: /files over 100 bytes are refused/,
    });
  });

  it('refuses characters XML cannot hold, with line and column', () => {
    expectProblem(problems(configWith(minimalPair('a', '\n    <name>a\u0001b</name>'))), {
      field: 'file',
      message: /line 9, column 12: character U\+0001/,
    });
    expectProblem(problems(configWith(minimalPair('a', '\n    <name>&#1;</name>'))), {
      pair: 'a',
      field: 'name',
      message: /character reference &#1;/,
    });
  });

  it('missing primary URL', () => {
    const xml = configWith(minimalPair('a').replace('<primary-url>http://192.0.2.10/</primary-url>', ''));
    expectProblem(problems(xml), { pair: 'a', field: 'primaryUrl', message: /required/ });
  });

  it('bad interval', () => {
    const list = problems(configWith(minimalPair('a').replace('<interval>1</interval>', '<interval>fast</interval>')));
    expectProblem(list, { pair: 'a', field: 'interval', message: /must be a number, got "fast"/ });
    const list2 = problems(configWith(minimalPair('a').replace('<interval>1</interval>', '<interval>0.01</interval>')));
    expectProblem(list2, { pair: 'a', field: 'interval', message: /at least 0.1 seconds/ });
    const list3 = problems(
      configWith(minimalPair('a').replace('<interval>1</interval>', `<interval>1${'0'.repeat(400)}</interval>`)),
    );
    expectProblem(list3, { pair: 'a', field: 'interval', message: /finite/ });
  });

  it('duplicate pair id', () => {
    expectProblem(problems(configWith(minimalPair('a'), minimalPair('b'), minimalPair('a'))), {
      pair: 'a',
      field: 'id',
      message: /duplicate pair id "a"/,
    });
  });

  it('a duplicate id is reported together with every other problem of the file, not after they are fixed', () => {
    const broken = minimalPair('b').replace('<interval>1</interval>', '<interval>fast</interval>');
    const list = problems(configWith(minimalPair('a'), broken, minimalPair('a'), broken));
    expectProblem(list, {
      pair: 'a',
      field: 'id',
      message: /duplicate pair id "a": pair #3 has the same id as pair #1/,
    });
    expectProblem(list, {
      pair: 'b',
      field: 'id',
      message: /duplicate pair id "b": pair #4 has the same id as pair #2/,
    });
    expectProblem(list, { pair: 'b', field: 'interval', message: /must be a number, got "fast"/ });
    // A pair without an id is a problem of its own, not a duplicate of another pair without one.
    const noIds = problems(
      configWith(minimalPair('a').replace(' id="a"', ''), minimalPair('c').replace(' id="c"', '')),
    );
    expect(noIds.filter((p) => /duplicate/.test(p.message))).toEqual([]);
  });

  it('unknown template variable', () => {
    const xml = configWith(minimalPair('a').replace('hook?pair={pair}', 'hook?pair={pair}&amp;x={nope}'));
    expectProblem(problems(xml), {
      pair: 'a',
      field: 'action.url',
      message: /unknown variable \{nope\}; known: \{pair\}/,
    });
  });

  it('bad state and state time', () => {
    expectProblem(problems(configWith(minimalPair('a', '\n    <state since="2026-11-27T08:00:00Z">asleep</state>'))), {
      pair: 'a',
      field: 'state',
      message: /"asleep" is not a state; one of starting, waiting, verifying, failover, paused/,
    });
    expectProblem(problems(configWith(minimalPair('a', '\n    <state since="yesterday">waiting</state>'))), {
      pair: 'a',
      field: 'state.since',
      message: /ISO 8601/,
    });
    expectProblem(problems(configWith(minimalPair('a', '\n    <state>waiting</state>'))), {
      pair: 'a',
      field: 'state.since',
      message: /required/,
    });
  });

  it('bad action progress', () => {
    const progress =
      '\n    <state since="2026-11-27T08:00:00Z">failover</state>\n    <action-progress kind="failover" phase="exploded" manual="maybe" started-at="2026-11-27T08:00:00Z"><attempt n="0" at="x" ok="true" latency-ms="-1"/></action-progress>';
    const list = problems(configWith(minimalPair('a', progress)));
    expectProblem(list, {
      pair: 'a',
      field: 'actionProgress.phase',
      message: /pending, running, succeeded, failed or unknown/,
    });
    expectProblem(list, { pair: 'a', field: 'actionProgress.manual', message: /true or false/ });
    expectProblem(list, { pair: 'a', field: 'actionProgress.attempts[0].at', message: /ISO 8601/ });
    expectProblem(list, { pair: 'a', field: 'actionProgress.attempts[0].latencyMs', message: /milliseconds/ });
    expectProblem(
      problems(
        configWith(
          minimalPair(
            'a',
            '\n    <action-progress kind="failover" phase="pending" manual="false" started-at="2026-11-27T08:00:00Z"/>',
          ),
        ),
      ),
      {
        pair: 'a',
        field: 'state',
        message: /needs a <state>/,
      },
    );
  });

  it('an element twice, or with elements where text belongs', () => {
    expectProblem(problems(configWith(minimalPair('a', '\n    <interval>2</interval>'))), {
      pair: 'a',
      field: 'interval',
      message: /more than once/,
    });
    expectProblem(problems(configWith(minimalPair('a', '\n    <name>x<b/></name>'))), {
      pair: 'a',
      field: 'name',
      message: /text only/,
    });
  });

  it('a pair without id is named by its position', () => {
    const list = problems(configWith(minimalPair('a'), minimalPair('b').replace(' id="b"', '')));
    expectProblem(list, { pair: '#2', field: 'id', message: /required/ });
  });

  it('wrong root, unsupported version, loose text', () => {
    expectProblem(problems('<config/>'), { field: 'file', message: /root element must be <pbxctrl-failover>/ });
    expectProblem(problems('<pbxctrl-failover version="2"/>'), { field: 'version', message: /"2" is not supported/ });
    expectProblem(problems('<pbxctrl-failover version="1">hello</pbxctrl-failover>'), {
      field: 'file',
      message: /text directly inside/,
    });
    expectProblem(problems(''), { field: 'file', message: /not well-formed/ });
  });

  it('elements nested absurdly deep', () => {
    const deep = `<pbxctrl-failover>${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}</pbxctrl-failover>`;
    expectProblem(problems(deep), { field: 'file', message: /nested more than 64 deep/ });
  });

  it('collects the problems of every pair', () => {
    const list = problems(
      configWith(
        minimalPair('a').replace('<interval>1</interval>', '<interval>0</interval>'),
        minimalPair('b').replace('{pair}', '{who}'),
      ),
    );
    expect(list.map((p) => `${p.pair}:${p.field}`).sort()).toEqual(['a:interval', 'b:action.url']);
  });
});

describe('secrets and isolation protection in the file (trust issue, items 7 to 9)', () => {
  const pairWith = (validation: string, action: string) => `  <pair id="a">
    <primary-url>http://mon:primary-pw@192.0.2.10/</primary-url>
    <interval>1</interval>
    <tolerated-failures>2</tolerated-failures>
    ${validation}
    <action method="POST"><url>https://dns.example.net/api</url>${action}</action>
  </pair>`;
  const withValidation = (action: string) =>
    configWith(pairWith('<validation><url>http://203.0.113.1/</url></validation>', action));

  it('refuses a pair without validation URLs unless quorum="0" is written, and keeps quorum="0" when rewritten', () => {
    const missing = problems(configWith(pairWith('', '')));
    expect(missing).toEqual([
      {
        pair: 'a',
        field: 'validation.urls',
        message: expect.stringMatching(/at least one validation URL.*quorum="0"/s),
      },
    ]);
    expect(problems(configWith(pairWith('<validation/>', ''))).map((p) => p.field)).toEqual(['validation.urls']);
    const { first, text } = roundTrip(configWith(pairWith('<validation quorum="0"/>', '')));
    expect(first.pairs[0]!.settings.validation).toEqual({ quorum: 0, urls: [] });
    expect(text).toContain('<validation quorum="0"/>');
    // Written from scratch too (a pair added through the API).
    expect(serializeConfigXml(first)).toContain('<validation quorum="0"/>');
  });

  it('reads and writes secret="true" on a header and the body, and masks them in an export', () => {
    const xml = withValidation(
      '<header name="User-Agent" secret="true">ua-secret</header><header name="Accept">text/plain</header><body secret="true">{"key":"body-secret"}</body>',
    );
    const { first, text } = roundTrip(xml);
    const action = first.pairs[0]!.settings.action;
    expect(action.headers).toEqual([
      { name: 'User-Agent', value: 'ua-secret', secret: true },
      { name: 'Accept', value: 'text/plain' },
    ]);
    expect(action.bodySecret).toBe(true);
    expect(text).toContain('<header name="User-Agent" secret="true">ua-secret</header>');
    expect(text).toContain('<body secret="true">{"key":"body-secret"}</body>');
    const masked = serializeConfigXml(first, { masked: true });
    for (const secret of ['ua-secret', 'body-secret', 'primary-pw']) expect(masked).not.toContain(secret);
    expect(masked).toContain(`<body secret="true">${SECRET_MASK}</body>`);
    expect(masked).toContain('<header name="Accept">text/plain</header>');
    expect(problems(withValidation('<body secret="maybe">x</body>'))).toEqual([
      { pair: 'a', field: 'action.bodySecret', message: expect.stringMatching(/true or false/) },
    ]);
  });

  it('masks every header whose name is not known to be harmless in an export, and re-masks a recorded request', () => {
    const xml = withValidation('<header name="X-Ovh-Consumer">ck-secret</header>').replace(
      '  </pair>',
      `    <state since="2026-11-27T08:00:00Z">failover</state>
    <action-progress kind="failover" phase="succeeded" manual="false" started-at="2026-11-27T08:00:00Z">
      <reason>r</reason>
      <request method="POST" url="https://dns.example.net/api?token=old-tok"><header name="x-ovh-consumer">old-ck</header></request>
    </action-progress>
  </pair>`,
    );
    const read = ok(parseConfigXml(xml));
    const masked = serializeConfigXml(read.config, { base: read.document, masked: true });
    for (const secret of ['ck-secret', 'old-ck', 'old-tok']) expect(masked).not.toContain(secret);
    expect(masked).toContain(`<header name="X-Ovh-Consumer">${SECRET_MASK}</header>`);
  });

  it('an edited masked export keeps the secrets only for the same origin (import)', () => {
    const stored = ok(
      parseConfigXml(withValidation('<pass>pw-secret</pass><header name="X-Ovh-Consumer">ck-secret</header>')),
    );
    const existing = (id: string) => stored.config.pairs.find((p) => p.settings.id === id)?.settings;
    const masked = serializeConfigXml(stored.config, { masked: true });
    const same = ok(parseConfigXml(masked, { existing }));
    expect(same.config.pairs[0]!.settings.action).toMatchObject({
      pass: 'pw-secret',
      headers: [{ name: 'X-Ovh-Consumer', value: 'ck-secret' }],
    });
    const moved = parseConfigXml(masked.replace('https://dns.example.net/api', 'https://attacker.example/api'), {
      existing,
    });
    expect(moved.ok).toBe(false);
    if (!moved.ok) {
      expect(moved.problems.map((p) => p.field).sort()).toEqual(['action.headers[0].value', 'action.pass']);
      expect(moved.problems[0]!.message).toMatch(
        /origin changed \(from https:\/\/dns.example.net to https:\/\/attacker.example\)/,
      );
    }
  });
});

describe('<vantage quorum> (cluster mode)', () => {
  const base = `<?xml version="1.0" encoding="UTF-8"?>
<pbxctrl-failover version="1">
  <pair id="acme">
    <name>ACME</name>
    <primary-url>http://127.0.0.1:1/</primary-url>
    <interval>10</interval>
    <tolerated-failures>2</tolerated-failures>
    <accept-status>200</accept-status>
    <validation quorum="0"/>
    VANTAGE
    <action method="POST" encoding="json" auth="none" retries="1" timeout="2"><url>http://127.0.0.1:9/</url></action>
  </pair>
</pbxctrl-failover>
`;
  it('reads the quorum, writes it back, and leaves it out when absent', () => {
    const parsed = parseConfigXml(base.replace('VANTAGE', '<vantage quorum="2"/>'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.pairs[0]!.settings.vantageQuorum).toBe(2);
    const again = parseConfigXml(serializeConfigXml(parsed.config));
    expect(again.ok && again.config.pairs[0]!.settings.vantageQuorum).toBe(2);
    expect(serializeConfigXml(parsed.config)).toContain('<vantage quorum="2"/>');
    const none = parseConfigXml(base.replace('VANTAGE', ''));
    expect(none.ok && none.config.pairs[0]!.settings.vantageQuorum).toBeUndefined();
    expect(none.ok && serializeConfigXml(none.config)).not.toContain('vantage');
  });

  it('names the attribute for a quorum that is not a whole number of at least 1', () => {
    for (const bad of ['0', '1.5', 'two']) {
      const parsed = parseConfigXml(base.replace('VANTAGE', `<vantage quorum="${bad}"/>`));
      expect(parsed.ok).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.problems.map((p) => p.field)).toContain('vantageQuorum');
    }
  });
});
