// Hostile and broken input (issue 6): more than 100,000 generated and mutated inputs for the XML
// reader and for validatePairSettings (the API's JSON bodies). Whatever comes in, the answer is a
// valid configuration (which then survives a write and a read unchanged) or problems that each
// name a field, never an exception and never a hang.

import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml } from '../../src/core/config-xml.js';
import { SECRET_MASK, type PairSettings, type Problem } from '../../src/shared/model.js';
import { maskSettings } from '../../src/shared/secrets.js';
import { validatePairSettings } from '../../src/shared/validate.js';
import { CONTRACT_SAMPLE, RICH_SAMPLE, configWith, minimalPair } from '../helpers/xml-samples.js';

const RUNS = {
  xmlMutations: 20_000,
  xmlFromFields: 4_000,
  jsonSettings: 46_000,
  jsonStructured: 20_000,
  jsonText: 10_000,
};
const TOTAL = Object.values(RUNS).reduce((a, b) => a + b, 0);
// Far above any real answer time: only a hang (runaway regex, endless loop) would reach it.
const HANG_MS = 5_000;

let inputs = 0;
let accepted = 0;
let slowestMs = 0;
const started = performance.now();

afterAll(() => {
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `fuzz-config: ${inputs} inputs (${accepted} valid, the rest refused with named problems) in ${seconds.toFixed(1)} s; slowest single input ${slowestMs.toFixed(1)} ms`,
  );
});

// Plain checks instead of expect(): a hundred thousand inputs with several assertions each would
// spend most of the time inside the assertion library.
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

function sameValue(a: unknown, b: unknown, what: string): void {
  check(isDeepStrictEqual(a, b), () => `${what}:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`);
}

function timed<T>(fn: () => T): T {
  const t0 = performance.now();
  const result = fn();
  const ms = performance.now() - t0;
  inputs++;
  if (ms > slowestMs) slowestMs = ms;
  check(ms < HANG_MS, () => `an input took ${ms} ms, which looks like a hang`);
  return result;
}

function expectNamedProblems(problems: Problem[]): void {
  check(problems.length > 0, () => 'invalid, but no problem given');
  for (const p of problems) {
    const named =
      typeof p.field === 'string' && p.field.length > 0 && typeof p.message === 'string' && p.message.length > 0;
    check(
      named && (p.pair === undefined || typeof p.pair === 'string'),
      () => `problem without field or message: ${JSON.stringify(p)}`,
    );
  }
}

/** Parse; a valid result must survive write + read unchanged. */
function checkXml(text: string): void {
  const result = timed(() => parseConfigXml(text));
  if (!result.ok) {
    expectNamedProblems(result.problems);
    return;
  }
  accepted++;
  const written = serializeConfigXml(result.config, { base: result.document });
  const again = parseConfigXml(written);
  if (!again.ok)
    throw new Error(`a valid file did not read back after writing: ${JSON.stringify(again.problems)}\n${written}`);
  sameValue(again.config, result.config, 'the configuration changed through a write and a read');
}

/** Validate; valid settings must validate to themselves, survive the XML, and mask/unmask. */
function checkSettings(input: unknown): void {
  const result = timed(() => validatePairSettings(input));
  if (!result.ok) {
    expectNamedProblems(result.problems);
    return;
  }
  accepted++;
  const settings: PairSettings = result.settings;
  sameValue(validatePairSettings(settings), { ok: true, settings }, 'valid settings did not validate to themselves');
  sameValue(
    validatePairSettings(maskSettings(settings), { existing: settings }),
    { ok: true, settings },
    'masked settings did not save back',
  );
  const text = serializeConfigXml({ pairs: [{ settings }] });
  const read = parseConfigXml(text);
  if (!read.ok) throw new Error(`valid settings did not survive the XML: ${JSON.stringify(read.problems)}\n${text}`);
  sameValue(read.config.pairs[0]!.settings, settings, 'settings changed through the XML');
}

// ---------------------------------------------------------------------------------------------
// XML

const SAMPLES = [
  CONTRACT_SAMPLE,
  configWith(minimalPair('a')),
  configWith(minimalPair('a'), minimalPair('b')),
  configWith(minimalPair('a', '\n    <state since="2026-11-27T08:00:00Z">failover</state>')),
  RICH_SAMPLE,
];

const SNIPPETS = [
  '<pair id="x">',
  '</pair>',
  '<pair id="a">',
  '<pair>',
  '<interval>',
  '</interval>',
  '<interval>1e999</interval>',
  '<interval>99999999999999999999999999999999</interval>',
  '<tolerated-failures>-0</tolerated-failures>',
  '<timeout>NaN</timeout>',
  '&foo;',
  '&amp;',
  '&#0;',
  '&#x110000;',
  '&#xD800;',
  '&#65;',
  '&',
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
  '<!ENTITY a "b">',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?pi x?>',
  '{unknown}',
  '{pair}',
  '{',
  '}',
  '<__proto__/>',
  '<constructor>x</constructor>',
  '<toString/>',
  ' __proto__="1"',
  ' id="dup"',
  ' version="2"',
  '<state since="2026-11-27T08:00:00Z">failover</state>',
  '<state since="x">sleeping</state>',
  '<action-progress kind="failover" phase="running" manual="true" started-at="2026-11-27T08:00:00Z"/>',
  '<attempt n="1" at="2026-11-27T08:00:00Z" ok="true" latency-ms="1"/>',
  '<validation quorum="3"><url>http://203.0.113.1/</url></validation>',
  '<header name="X A">v</header>',
  '<header name="Content-Length">1</header>',
  '<url>javascript:alert(1)</url>',
  '<pass>••••••••</pass>',
  '\u0000',
  '\u0001',
  '\ud800',
  '\uffff',
  '\r\n',
  '\t',
  '"',
  "'",
  '<',
  '>',
  'é€😀',
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    char: fc.oneof(
      fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
      fc.constantFrom('<', '>', '&', '"', '/', '=', ' ', '\u0000'),
    ),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 20, unit: 'binary' })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({
    kind: fc.constant('number' as const),
    value: fc.constantFrom(
      '1e999',
      '-1',
      '0',
      '0.0000001',
      '1'.repeat(400),
      '0x10',
      '1_000',
      'Infinity',
      '-0',
      '5e-324',
    ),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, m: Mutation): string {
  const at = 'at' in m ? m.at % (text.length + 1) : 0;
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'flip':
      return text.slice(0, at) + m.char + text.slice(at + 1);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'duplicate':
      return text.slice(0, at + m.length) + text.slice(at, at + m.length) + text.slice(at + m.length);
    case 'number':
      return text.replace(/>(\d+(\.\d+)?)</, `>${m.value}<`);
  }
}

describe('the XML reader', () => {
  it(`answers ${RUNS.xmlMutations} mutated files with a valid config or named problems`, { timeout: 240_000 }, () => {
    // The rich sample (last) is picked one time in eight: it is the slowest to read.
    const weighted = fc.oneof(
      { arbitrary: fc.nat({ max: SAMPLES.length - 2 }), weight: 7 },
      { arbitrary: fc.constant(SAMPLES.length - 1), weight: 1 },
    );
    fc.assert(
      fc.property(weighted, fc.array(mutation, { minLength: 1, maxLength: 5 }), (pick, mutations) => {
        const sample = SAMPLES[pick]!;
        checkXml(mutations.reduce(mutate, sample));
      }),
      { numRuns: RUNS.xmlMutations },
    );
  });

  const fieldValue = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ maxLength: 30, unit: 'binary' }),
    fc.constantFrom(
      '10',
      '0.1',
      '0',
      '-1',
      '1e999',
      'http://192.0.2.10/',
      'https://x.example/{pair}',
      '{nope}',
      '200-299',
      SECRET_MASK,
      '',
    ),
    fc.double().map(String),
    fc.integer().map(String),
  );
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

  it(`answers ${RUNS.xmlFromFields} files built from arbitrary field values`, { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fieldValue,
          name: fieldValue,
          primary: fieldValue,
          interval: fieldValue,
          tolerated: fieldValue,
          quorum: fieldValue,
          validation: fc.array(fieldValue, { maxLength: 3 }),
          method: fieldValue,
          retries: fieldValue,
          url: fieldValue,
          body: fieldValue,
          header: fieldValue,
          state: fieldValue,
          since: fieldValue,
        }),
        (f) => {
          const xml = `<pbxctrl-failover version="1"><pair id="${escape(f.id)}"><name>${escape(f.name)}</name><primary-url>${escape(f.primary)}</primary-url><interval>${escape(f.interval)}</interval><tolerated-failures>${escape(f.tolerated)}</tolerated-failures><validation quorum="${escape(f.quorum)}">${f.validation.map((u) => `<url>${escape(u)}</url>`).join('')}</validation><action method="${escape(f.method)}" retries="${escape(f.retries)}"><url>${escape(f.url)}</url><header name="${escape(f.header)}">${escape(f.header)}</header><body>${escape(f.body)}</body></action><state since="${escape(f.since)}">${escape(f.state)}</state></pair></pbxctrl-failover>`;
          checkXml(xml);
        },
      ),
      { numRuns: RUNS.xmlFromFields },
    );
  });

  it('refuses an entity bomb and an oversized file, quickly and without expanding', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE b [${Array.from({ length: 10 }, (_, i) => `<!ENTITY e${i + 1} "${`&e${i};`.repeat(10)}">`).join('')}<!ENTITY e0 "boom">]><pbxctrl-failover>&e10;</pbxctrl-failover>`;
    const result = timed(() => parseConfigXml(bomb));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]!.message).toMatch(/DOCTYPE and ENTITY declarations are not allowed/);
    const huge = timed(() => parseConfigXml(configWith(minimalPair('a'), `<!--${'x'.repeat(20 * 1024 * 1024)}-->`)));
    expect(huge.ok).toBe(false);
    if (!huge.ok) expect(huge.problems[0]!.message).toMatch(/files over 16 MiB are refused/);
  });
});

// ---------------------------------------------------------------------------------------------
// JSON bodies

const VALID_INPUT = {
  id: 'acme',
  name: 'ACME',
  primaryUrl: 'http://192.0.2.10/',
  standbyUrl: 'http://198.51.100.20/',
  interval: 1,
  toleratedFailures: 3,
  timeout: 0.5,
  acceptStatus: '200-299',
  validation: { quorum: 1, urls: ['http://203.0.113.1/'] },
  action: {
    method: 'POST',
    url: 'https://dns.example.net/api?target={standby}',
    encoding: 'json',
    auth: 'basic',
    user: 'api',
    pass: 'secret',
    headers: [{ name: 'X-API-Key', value: 'k' }],
    body: '{"pair":"{pair}"}',
    retries: 5,
    timeout: 10,
  },
};

describe('validatePairSettings on JSON bodies', () => {
  it(`answers ${RUNS.jsonSettings} arbitrary JSON values`, { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => checkSettings(value)),
      { numRuns: RUNS.jsonSettings },
    );
  });

  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.double(),
    fc.constantFrom(
      null,
      undefined,
      '',
      SECRET_MASK,
      '{pair}',
      '{nope}',
      'http://192.0.2.10/',
      'GET',
      'basic',
      'bearer',
      'xml',
      1e308,
      -0,
      NaN,
      Infinity,
    ),
  );
  const tweak = (target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> => ({
    ...target,
    [key]: value,
  });

  it(`answers ${RUNS.jsonStructured} valid bodies with fields replaced, deep and shallow`, { timeout: 120_000 }, () => {
    const topKeys = [...Object.keys(VALID_INPUT), '__proto__', 'constructor', 'failbackAction', 'extra'];
    const actionKeys = [...Object.keys(VALID_INPUT.action), '__proto__'];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ where: fc.constant('top' as const), key: fc.constantFrom(...topKeys), value: anyValue }),
            fc.record({ where: fc.constant('action' as const), key: fc.constantFrom(...actionKeys), value: anyValue }),
            fc.record({
              where: fc.constant('header' as const),
              key: fc.constantFrom('name', 'value'),
              value: anyValue,
            }),
            fc.record({
              where: fc.constant('validation' as const),
              key: fc.constantFrom('quorum', 'urls'),
              value: anyValue,
            }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        (changes) => {
          let input: Record<string, unknown> = structuredClone(VALID_INPUT);
          for (const c of changes) {
            const action = input['action'] as Record<string, unknown> | undefined;
            if (c.where === 'top') input = tweak(input, c.key, c.value);
            else if (c.where === 'action' && action && typeof action === 'object')
              input['action'] = tweak(action, c.key, c.value);
            else if (
              c.where === 'header' &&
              action &&
              Array.isArray(action['headers']) &&
              typeof action['headers'][0] === 'object'
            ) {
              action['headers'] = [tweak(action['headers'][0] as Record<string, unknown>, c.key, c.value)];
            } else if (c.where === 'validation' && input['validation'] && typeof input['validation'] === 'object') {
              input['validation'] = tweak(input['validation'] as Record<string, unknown>, c.key, c.value);
            }
          }
          checkSettings(input);
        },
      ),
      { numRuns: RUNS.jsonStructured },
    );
  });

  it(
    `answers ${RUNS.jsonText} JSON texts as the service would parse them (__proto__ keys included)`,
    { timeout: 120_000 },
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.json(),
            fc
              .jsonValue()
              .map(
                (v) =>
                  `{"__proto__":${JSON.stringify(v)},${JSON.stringify({ ...VALID_INPUT, action: { ...VALID_INPUT.action, headers: v } }).slice(1)}`,
              ),
            fc.constantFrom(
              '{"__proto__":{"id":"x"}}',
              '{"constructor":{"prototype":{"id":"x"}}}',
              JSON.stringify(VALID_INPUT),
            ),
          ),
          (text) => checkSettings(JSON.parse(text)),
        ),
        { numRuns: RUNS.jsonText },
      );
    },
  );
});

describe('fuzz total', () => {
  it(`ran at least 100,000 inputs (${TOTAL} planned)`, () => {
    expect(TOTAL).toBeGreaterThanOrEqual(100_000);
    expect(inputs).toBeGreaterThanOrEqual(100_000);
  });
});
