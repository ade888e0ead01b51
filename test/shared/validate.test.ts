import { describe, expect, it } from 'vitest';
import { SECRET_MASK, TEMPLATE_VARIABLES, type PairSettings, type Problem } from '../../src/shared/model.js';
import { settingsHints, settingsWarnings } from '../../src/shared/hints.js';
import { isSecretHeader, maskSettings, maskUrl } from '../../src/shared/secrets.js';
import { validatePairList, validatePairSettings } from '../../src/shared/validate.js';
import { FIELD_OF_ELEMENT, xmlPathOf } from '../../src/shared/xml-names.js';

function base(): Record<string, unknown> {
  return {
    id: 'acme',
    primaryUrl: 'http://192.0.2.10/',
    interval: 10,
    toleratedFailures: 3,
    validation: { urls: ['http://203.0.113.1/'] },
    action: { url: 'https://dns.example.net/api?target={standby}' },
  };
}

function problemsOf(input: unknown, opts?: { existing?: PairSettings }): Problem[] {
  const r = validatePairSettings(input, opts);
  if (r.ok) throw new Error(`expected problems, got valid settings ${JSON.stringify(r.settings)}`);
  return r.problems;
}

function valid(input: unknown, opts?: { existing?: PairSettings }): PairSettings {
  const r = validatePairSettings(input, opts);
  if (!r.ok) throw new Error(`expected valid, got ${JSON.stringify(r.problems)}`);
  return r.settings;
}

/** The one problem for `field`, checked to name the pair. */
function problemAt(input: Record<string, unknown>, field: string): Problem {
  const problems = problemsOf(input);
  const found = problems.filter((p) => p.field === field);
  expect(found, `problems: ${JSON.stringify(problems)}`).toHaveLength(1);
  expect(found[0]!.pair).toBe(typeof input['id'] === 'string' ? input['id'] : undefined);
  return found[0]!;
}

function withAction(action: Record<string, unknown>): Record<string, unknown> {
  return { ...base(), action: { url: 'http://192.0.2.99/hook', ...action } };
}

describe('validatePairSettings: defaults', () => {
  it('fills in name, accept status, validation and the action defaults', () => {
    expect(valid(base())).toEqual({
      id: 'acme',
      name: 'acme',
      primaryUrl: 'http://192.0.2.10/',
      interval: 10,
      toleratedFailures: 3,
      acceptStatus: '200',
      validation: { quorum: 1, urls: ['http://203.0.113.1/'] },
      action: {
        method: 'POST',
        url: 'https://dns.example.net/api?target={standby}',
        encoding: 'json',
        auth: 'none',
        headers: [],
        retries: 26,
        timeout: 10,
      },
    });
  });

  it('takes quorum 1 when validation URLs are given without one', () => {
    expect(
      valid({ ...base(), validation: { urls: ['http://203.0.113.1/', 'http://203.0.113.2/'] } }).validation,
    ).toEqual({
      quorum: 1,
      urls: ['http://203.0.113.1/', 'http://203.0.113.2/'],
    });
  });

  it('normalizes the case of method, encoding and auth and trims URLs', () => {
    const s = valid({
      ...base(),
      primaryUrl: '  http://192.0.2.10/  ',
      action: { url: 'http://x.example/', method: 'put', encoding: 'XML', auth: 'Basic', user: 'u' },
    });
    expect(s.primaryUrl).toBe('http://192.0.2.10/');
    expect(s.action).toMatchObject({ method: 'PUT', encoding: 'xml', auth: 'basic', user: 'u' });
  });

  it('keeps optional fields out when they are not given', () => {
    const s = valid(base());
    expect('standbyUrl' in s).toBe(false);
    expect('timeout' in s).toBe(false);
    expect('failbackAction' in s).toBe(false);
  });
});

describe('validatePairSettings: every rule names its field', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing id', { ...base(), id: undefined }, 'id', /required/],
    ['bad id', { ...base(), id: 'ACME corp' }, 'id', /lower-case letters, digits/],
    ['id too long', { ...base(), id: 'a'.repeat(65) }, 'id', /1 to 64/],
    ['empty name', { ...base(), name: '  ' }, 'name', /must not be empty/],
    ['long name', { ...base(), name: 'n'.repeat(201) }, 'name', /at most 200/],
    ['name with a newline', { ...base(), name: 'a\nb' }, 'name', /line breaks/],
    ['missing primary', { ...base(), primaryUrl: undefined }, 'primaryUrl', /required/],
    ['relative primary', { ...base(), primaryUrl: '/status' }, 'primaryUrl', /absolute URL/],
    ['ftp primary', { ...base(), primaryUrl: 'ftp://192.0.2.10/' }, 'primaryUrl', /http:\/\/ or https:\/\//],
    ['primary with a space', { ...base(), primaryUrl: 'http://192.0.2.10/a b' }, 'primaryUrl', /spaces/],
    [
      'primary with a variable',
      { ...base(), primaryUrl: 'http://192.0.2.10/{pair}' },
      'primaryUrl',
      /only in action URLs/,
    ],
    ['bad standby', { ...base(), standbyUrl: 'standby' }, 'standbyUrl', /absolute URL/],
    ['missing interval', { ...base(), interval: undefined }, 'interval', /required/],
    ['interval as text', { ...base(), interval: '10' }, 'interval', /must be a number, got "10"/],
    ['interval too short', { ...base(), interval: 0.05 }, 'interval', /at least 0.1 seconds/],
    ['interval too long', { ...base(), interval: 86401 }, 'interval', /at most 86400/],
    ['interval infinite', { ...base(), interval: Infinity }, 'interval', /finite/],
    ['interval NaN', { ...base(), interval: NaN }, 'interval', /finite/],
    ['negative tolerated failures', { ...base(), toleratedFailures: -1 }, 'toleratedFailures', /at least 0/],
    ['fractional tolerated failures', { ...base(), toleratedFailures: 1.5 }, 'toleratedFailures', /whole number/],
    ['too many tolerated failures', { ...base(), toleratedFailures: 1001 }, 'toleratedFailures', /at most 1000/],
    ['zero timeout', { ...base(), timeout: 0 }, 'timeout', /more than 0/],
    ['timeout too long', { ...base(), timeout: 301 }, 'timeout', /at most 300/],
    ['accept status out of range', { ...base(), acceptStatus: '200-600' }, 'acceptStatus', /100-599/],
    ['accept status garbage', { ...base(), acceptStatus: '2xx' }, 'acceptStatus', /"2xx" is not a status/],
    ['accept status reversed', { ...base(), acceptStatus: '299-200' }, 'acceptStatus', /empty range/],
    ['accept status as number', { ...base(), acceptStatus: 200 }, 'acceptStatus', /must be text/],
    ['validation not an object', { ...base(), validation: 'x' }, 'validation', /must be an object/],
    ['validation urls not a list', { ...base(), validation: { urls: 'http://a/' } }, 'validation.urls', /list/],
    [
      'second validation URL bad',
      { ...base(), validation: { urls: ['http://203.0.113.1/', 'nope'] } },
      'validation.urls[1]',
      /absolute URL/,
    ],
    [
      'quorum above the count',
      { ...base(), validation: { urls: ['http://203.0.113.1/'], quorum: 2 } },
      'validation.quorum',
      /at most 1/,
    ],
    [
      'quorum zero with URLs',
      { ...base(), validation: { urls: ['http://203.0.113.1/'], quorum: 0 } },
      'validation.quorum',
      /at least 1/,
    ],
    [
      'quorum without URLs',
      { ...base(), validation: { urls: [], quorum: 1 } },
      'validation.quorum',
      /no validation URLs/,
    ],
    [
      'too many validation URLs',
      { ...base(), validation: { urls: Array.from({ length: 21 }, (_, i) => `http://203.0.113.${i}/`) } },
      'validation.urls',
      /at most 20/,
    ],
    ['missing action', { ...base(), action: undefined }, 'action.url', /required/],
    ['action not an object', { ...base(), action: 'http://x/' }, 'action', /must be an object/],
    ['unknown method', withAction({ method: 'FETCH' }), 'action.method', /one of GET, POST, PUT, PATCH, DELETE/],
    ['unknown encoding', withAction({ encoding: 'yaml' }), 'action.encoding', /one of json, xml, form, plain/],
    ['unknown auth', withAction({ auth: 'digest' }), 'action.auth', /one of none, basic, bearer/],
    ['zero retries', withAction({ retries: 0 }), 'action.retries', /at least 1/],
    ['too many retries', withAction({ retries: 101 }), 'action.retries', /at most 100/],
    ['action timeout too short', withAction({ timeout: 0.01 }), 'action.timeout', /at least 0.1/],
    ['action timeout too long', withAction({ timeout: 301 }), 'action.timeout', /at most 300/],
    ['basic without user', withAction({ auth: 'basic', pass: 'p' }), 'action.user', /required for Basic/],
    ['bearer without token', withAction({ auth: 'bearer' }), 'action.pass', /required for Bearer/],
    // Found by the fuzzer: the file's reader refused it while the validator let it pass.
    [
      'bearer token outside Latin-1',
      withAction({ auth: 'bearer', pass: 'Ā' }),
      'action.pass',
      /only be sent as Latin-1/,
    ],
    ['GET with a body', withAction({ method: 'GET', body: 'x' }), 'action.body', /GET request cannot carry a body/],
    [
      'header name with a space',
      withAction({ headers: [{ name: 'X Key', value: 'v' }] }),
      'action.headers[0].name',
      /not a valid header name/,
    ],
    ['header without name', withAction({ headers: [{ value: 'v' }] }), 'action.headers[0].name', /required/],
    [
      'reserved header',
      withAction({ headers: [{ name: 'Content-Length', value: '1' }] }),
      'action.headers[0].name',
      /set by the app/,
    ],
    [
      'header value with CRLF',
      withAction({ headers: [{ name: 'X-A', value: 'a\r\nX-B: b' }] }),
      'action.headers[0].value',
      /line breaks/,
    ],
    [
      'header value not text',
      withAction({ headers: [{ name: 'X-A', value: 3 }] }),
      'action.headers[0].value',
      /must be text/,
    ],
    ['headers not a list', withAction({ headers: { name: 'X' } }), 'action.headers', /list/],
    [
      'unknown variable in the URL',
      withAction({ url: 'http://192.0.2.99/{foo}' }),
      'action.url',
      /unknown variable \{foo\}; known: \{pair\}, \{name\}/,
    ],
    ['unknown variable in the body', withAction({ body: '{"a":"{bar}"}' }), 'action.body', /unknown variable \{bar\}/],
    [
      'unknown variable in a header',
      withAction({ headers: [{ name: 'X-A', value: '{baz}' }] }),
      'action.headers[0].value',
      /unknown variable \{baz\}/,
    ],
    [
      'action URL not http',
      withAction({ url: 'mailto:noc@example.com' }),
      'action.url',
      /not a valid absolute URL|http:\/\//,
    ],
    ['body with a NUL', withAction({ body: 'a\u0000b' }), 'action.body', /cannot be stored \(U\+0000\)/],
    ['body too long', withAction({ body: 'x'.repeat(65537) }), 'action.body', /too long/],
    ['failback action URL bad', { ...base(), failbackAction: { url: 'nope' } }, 'failbackAction.url', /absolute URL/],
    [
      'failback unknown variable',
      { ...base(), failbackAction: { url: 'http://x.example/', body: '{zz}' } },
      'failbackAction.body',
      /unknown variable \{zz\}/,
    ],
  ];

  it.each(cases.map(([label, input, field, message]) => ({ label, input, field, message })))(
    '$label -> $field',
    ({ input, field, message }) => {
      expect(problemAt(input, field).message).toMatch(message);
    },
  );

  it('accepts every known variable in URL, body and headers', () => {
    const all = TEMPLATE_VARIABLES.map((v) => `{${v}}`).join('-');
    const s = valid(
      withAction({ url: `http://192.0.2.99/${all}?q=${all}`, body: all, headers: [{ name: 'X-All', value: all }] }),
    );
    expect(s.action.body).toBe(all);
  });

  it('collects all problems, not just the first', () => {
    const problems = problemsOf({
      id: 'x',
      primaryUrl: 'nope',
      interval: 0,
      toleratedFailures: -1,
      action: { url: 'http://x.example/{a}', retries: 0 },
    });
    expect(problems.map((p) => p.field).sort()).toEqual([
      'action.retries',
      'action.url',
      'interval',
      'primaryUrl',
      'toleratedFailures',
      'validation.urls',
    ]);
    expect(problems.every((p) => p.pair === 'x')).toBe(true);
  });

  it('rejects input that is not an object with a field named', () => {
    for (const input of [null, 3, 'x', [], undefined]) {
      expect(problemsOf(input)).toEqual([{ field: 'pair', message: expect.stringMatching(/object/) }]);
    }
  });

  it('allows the boundaries themselves', () => {
    const s = valid({
      ...base(),
      interval: 0.1,
      toleratedFailures: 0,
      timeout: 300,
      acceptStatus: '100-599',
      action: { url: 'http://x.example/', retries: 20, timeout: 0.1 },
    });
    expect(s.interval).toBe(0.1);
    expect(
      valid({
        ...base(),
        interval: 86400,
        toleratedFailures: 1000,
        action: { url: 'http://x.example/', retries: 1, timeout: 300 },
      }).toleratedFailures,
    ).toBe(1000);
  });
});

describe('secrets', () => {
  const secretive = (): Record<string, unknown> => ({
    ...base(),
    primaryUrl: 'http://mon:pw1@192.0.2.10/status',
    validation: { urls: ['http://203.0.113.1/?token=abc'] },
    action: {
      url: 'https://api:pw2@dns.example.net/api?apikey=k1&target={standby}&token={pass}',
      auth: 'bearer',
      pass: 'tok',
      headers: [
        { name: 'X-API-Key', value: 'k2' },
        { name: 'X-Request-Source', value: 'noc' },
      ],
    },
    failbackAction: {
      url: 'http://192.0.2.98/',
      auth: 'basic',
      user: 'u',
      pass: 'p3',
      headers: [{ name: 'Authorization', value: 'Token z' }],
    },
  });

  it('knows which headers are secret', () => {
    for (const h of [
      'Authorization',
      'proxy-authorization',
      'X-API-Key',
      'Api-Key',
      'X-Auth-Token',
      'x-secret',
      'X-Password',
      'Cookie',
    ]) {
      expect(isSecretHeader(h), h).toBe(true);
    }
    // Every header is a secret unless its name is known to be harmless: API keys hide under any name.
    for (const h of ['X-Request-Source', 'X-Ovh-Consumer', 'X-Ovh-Application', 'X-Custom'])
      expect(isSecretHeader(h), h).toBe(true);
    for (const h of ['Content-Type', 'accept', 'User-Agent', 'Cache-Control']) expect(isSecretHeader(h), h).toBe(false);
  });

  it('masks passwords, tokens, secret headers and URL user-info passwords', () => {
    const settings = valid(secretive());
    const masked = maskSettings(settings);
    const text = JSON.stringify(masked);
    for (const secret of ['pw1', 'pw2', 'tok"', 'k1', 'k2', 'p3', 'Token z', 'abc']) expect(text).not.toContain(secret);
    expect(masked.primaryUrl).toBe(`http://mon:${SECRET_MASK}@192.0.2.10/status`);
    expect(masked.action.url).toBe(
      `https://api:${SECRET_MASK}@dns.example.net/api?apikey=${SECRET_MASK}&target={standby}&token={pass}`,
    );
    expect(masked.action.pass).toBe(SECRET_MASK);
    expect(masked.action.headers).toEqual([
      { name: 'X-API-Key', value: SECRET_MASK },
      { name: 'X-Request-Source', value: SECRET_MASK },
    ]);
    expect(masked.failbackAction!.user).toBe('u');
    expect(settings.action.pass).toBe('tok');
  });

  it('saves a masked form back to the stored secrets', () => {
    const settings = valid(secretive());
    expect(valid(maskSettings(settings), { existing: settings })).toEqual(settings);
  });

  it('keeps a changed field next to a kept secret', () => {
    const settings = valid(secretive());
    const edited = { ...maskSettings(settings), interval: 2 };
    expect(valid(edited, { existing: settings })).toEqual({ ...settings, interval: 2 });
  });

  it('refuses a mask with no stored secret behind it, naming the field', () => {
    const masked = maskSettings(valid(secretive()));
    const problems = problemsOf(masked);
    expect(problems.map((p) => p.field).sort()).toEqual(
      [
        'action.headers[0].value',
        'action.headers[1].value',
        'action.pass',
        'action.url',
        'failbackAction.headers[0].value',
        'failbackAction.pass',
        'primaryUrl',
        'validation.urls[0]',
      ].sort(),
    );
    expect(problems.find((p) => p.field === 'action.pass')!.message).toMatch(/no secret is stored to keep; type it/);
  });

  it('refuses a masked URL that was edited elsewhere', () => {
    const settings = valid(secretive());
    const edited = { ...maskSettings(settings), primaryUrl: `http://mon:${SECRET_MASK}@192.0.2.11/status` };
    expect(problemsOf(edited, { existing: settings }).map((p) => p.field)).toEqual(['primaryUrl']);
  });

  it('leaves URLs without secrets as they are', () => {
    expect(maskUrl('http://192.0.2.10/a?b=c#d')).toBe('http://192.0.2.10/a?b=c#d');
    expect(maskUrl('http://user@192.0.2.10/')).toBe('http://user@192.0.2.10/');
    expect(maskUrl('not a url')).toBe('not a url');
  });
});

describe('validatePairList', () => {
  it('names every duplicate id', () => {
    const a = valid(base());
    const b = valid({ ...base(), id: 'beta' });
    expect(validatePairList([a, b])).toEqual([]);
    const problems = validatePairList([a, b, a, a]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toEqual({
      pair: 'acme',
      field: 'id',
      message: expect.stringMatching(/duplicate pair id "acme": pair #3 .* pair #1/),
    });
  });
});

describe('validation URLs: isolation protection (trust issue, item 9)', () => {
  const noValidation = (): Record<string, unknown> => {
    const { validation: _v, ...rest } = base();
    return rest;
  };

  it('requires a validation URL unless quorum 0 is written explicitly', () => {
    expect(problemAt(noValidation(), 'validation.urls').message).toMatch(
      /at least one validation URL is required.*quorum="0"/s,
    );
    expect(problemAt({ ...base(), validation: { urls: [] } }, 'validation.urls').message).toMatch(
      /at least one validation URL/,
    );
    expect(valid({ ...base(), validation: { quorum: 0, urls: [] } }).validation).toEqual({ quorum: 0, urls: [] });
  });

  it('warns about a pair without isolation protection, in the hints and the warnings', () => {
    const unprotected = valid({ ...base(), validation: { quorum: 0, urls: [] } });
    expect(settingsWarnings(unprotected)).toEqual([expect.stringMatching(/no isolation protection/)]);
    expect(settingsWarnings(valid(base()))).toEqual([]);
    expect(settingsHints(unprotected).find((h) => h.field === 'validation.urls')?.message).toMatch(
      /no isolation protection/,
    );
  });
});

describe('masked secrets follow only the same origin (trust issue, item 7)', () => {
  const stored = (): PairSettings =>
    valid({
      ...base(),
      action: {
        url: 'https://dns.example.net/api/zones/{pair}',
        auth: 'basic',
        user: 'api',
        pass: 'pw-secret',
        headers: [{ name: 'X-Ovh-Consumer', value: 'ck-secret' }],
      },
      failbackAction: { url: 'https://dns.example.net/api/back', auth: 'bearer', pass: 'tok-secret' },
    });

  it('keeps masked secrets when the origin and the authentication stay the same', () => {
    const existing = stored();
    const edited = maskSettings(existing);
    edited.action.url = 'https://dns.example.net/api/v2/zones/{pair}?x=1';
    const kept = valid(edited, { existing });
    expect(kept.action.pass).toBe('pw-secret');
    expect(kept.action.headers[0]!.value).toBe('ck-secret');
    expect(kept.failbackAction!.pass).toBe('tok-secret');
  });

  it('refuses masked secrets when the host, the scheme or the port of the action URL changes', () => {
    const existing = stored();
    for (const url of ['https://evil.example/api', 'http://dns.example.net/api', 'https://dns.example.net:8443/api']) {
      const edited = maskSettings(existing);
      edited.action.url = url;
      edited.failbackAction!.url = url;
      const problems = problemsOf(edited, { existing });
      expect(problems.map((p) => p.field).sort(), url).toEqual([
        'action.headers[0].value',
        'action.pass',
        'failbackAction.pass',
      ]);
      for (const p of problems) expect(p.message).toMatch(/origin changed .* type the secret again/);
    }
  });

  it('refuses a masked secret when the authentication kind changes', () => {
    const existing = stored();
    const edited = maskSettings(existing);
    edited.failbackAction!.auth = 'basic';
    edited.failbackAction!.user = 'u';
    const problems = problemsOf(edited, { existing });
    expect(problems.map((p) => p.field)).toEqual(['failbackAction.pass']);
    expect(problems[0]!.message).toMatch(/authentication changed \(from bearer to basic\)/);
  });

  it('accepts the secrets typed again for the new host', () => {
    const existing = stored();
    const edited = maskSettings(existing);
    edited.action.url = 'https://other.example/api';
    edited.action.pass = 'new-pw';
    edited.action.headers = [{ name: 'X-Ovh-Consumer', value: 'new-ck' }];
    const s = valid(edited, { existing });
    expect(s.action).toMatchObject({
      url: 'https://other.example/api',
      pass: 'new-pw',
      headers: [{ name: 'X-Ovh-Consumer', value: 'new-ck' }],
    });
  });
});

describe('headers and bodies marked secret (trust issue, item 8)', () => {
  it('masks a body marked secret and a harmless-named header marked secret, and keeps them when sent back', () => {
    const settings = valid(
      withAction({
        body: '{"apikey":"literal-body-secret","pair":"{pair}"}',
        bodySecret: true,
        headers: [
          { name: 'User-Agent', value: 'ua-secret', secret: true },
          { name: 'Accept', value: 'application/json' },
        ],
      }),
    );
    expect(settings.action.bodySecret).toBe(true);
    const masked = maskSettings(settings);
    expect(masked.action.body).toBe(SECRET_MASK);
    expect(masked.action.headers).toEqual([
      { name: 'User-Agent', value: SECRET_MASK, secret: true },
      { name: 'Accept', value: 'application/json' },
    ]);
    expect(JSON.stringify(masked)).not.toMatch(/literal-body-secret|ua-secret/);
    expect(valid(masked, { existing: settings })).toEqual(settings);
  });

  it('refuses a masked body when no secret body is stored', () => {
    expect(problemAt(withAction({ body: SECRET_MASK }), 'action.body').message).toMatch(/no secret is stored/);
    expect(problemAt(withAction({ bodySecret: 'yes' }), 'action.bodySecret').message).toMatch(/true or false/);
  });
});

describe('the XML element of a field', () => {
  it('names the element or attribute the operator edits in pbxctrl-failover.xml', () => {
    expect(xmlPathOf('toleratedFailures')).toBe('tolerated-failures');
    expect(xmlPathOf('primaryUrl')).toBe('primary-url');
    expect(xmlPathOf('interval')).toBe('interval');
    expect(xmlPathOf('id')).toBe('@id');
    expect(xmlPathOf('action.url')).toBe('action/url');
    expect(xmlPathOf('action.retries')).toBe('action/@retries');
    expect(xmlPathOf('failbackAction.method')).toBe('failback-action/@method');
    expect(xmlPathOf('failbackAction.pass')).toBe('failback-action/pass');
    expect(xmlPathOf('action.headers[0].name')).toBe('action/header[1]/@name');
    expect(xmlPathOf('action.headers[2].value')).toBe('action/header[3]');
    expect(xmlPathOf('validation.quorum')).toBe('validation/@quorum');
    expect(xmlPathOf('validation.urls[1]')).toBe('validation/url[2]');
    expect(xmlPathOf('state.since')).toBe('state/@since');
    expect(xmlPathOf('actionProgress.attempts[0].latencyMs')).toBe('action-progress/attempt[1]/@latency-ms');
    expect(xmlPathOf('file')).toBe('file');
  });

  it('names an element for every field the validator reports', () => {
    const problems = validatePairSettings({
      id: 'Bad!',
      name: '',
      primaryUrl: 'x',
      standbyUrl: 'y',
      interval: 0,
      toleratedFailures: -1,
      timeout: -1,
      acceptStatus: 'ok',
      validation: { quorum: 5, urls: ['z'] },
      action: {
        url: 'q',
        method: 'BREW',
        encoding: 'x',
        auth: 'x',
        retries: 0,
        timeout: 0,
        headers: [{ name: 'Bad Name', value: 'a\nb' }],
        body: 1,
      },
    });
    expect(problems.ok).toBe(false);
    if (problems.ok) return;
    const paths = problems.problems.map((p) => xmlPathOf(p.field));
    // Every path is made of element names of the contract (or @attributes), never a camelCase field name.
    for (const path of paths) expect(path).toMatch(/^(@?[a-z-]+(\[\d+\])?)(\/@?[a-z-]+(\[\d+\])?)*$/);
    expect(paths).toEqual(
      expect.arrayContaining([
        '@id',
        'name',
        'primary-url',
        'standby-url',
        'interval',
        'tolerated-failures',
        'timeout',
        'accept-status',
      ]),
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        'validation/url[1]',
        'action/url',
        'action/@method',
        'action/@retries',
        'action/header[1]/@name',
        'action/header[1]',
        'action/body',
      ]),
    );
  });

  it('reads back: the XML reader maps element names onto the same fields', () => {
    for (const [element, field] of Object.entries(FIELD_OF_ELEMENT)) expect(xmlPathOf(field)).toBe(element);
  });
});

describe('validatePairSettings: text the file cannot store', () => {
  // Every string field of the settings, each given one character pbxctrl-failover.xml cannot carry
  // (inside the text: at either end, white space such as a vertical tab is trimmed away).
  const fields: Array<[string, (bad: string) => Record<string, unknown>]> = [
    ['id', (bad) => ({ ...base(), id: `acme${bad}` })],
    ['name', (bad) => ({ ...base(), name: `ACME${bad}Corp` })],
    ['primaryUrl', (bad) => ({ ...base(), primaryUrl: `http://192.0.2.10/a${bad}b` })],
    ['standbyUrl', (bad) => ({ ...base(), standbyUrl: `http://192.0.2.11/a${bad}b` })],
    ['acceptStatus', (bad) => ({ ...base(), acceptStatus: `20${bad}0` })],
    ['validation.urls[0]', (bad) => ({ ...base(), validation: { quorum: 1, urls: [`http://192.0.2.30/a${bad}b`] } })],
    ['action.url', (bad) => withAction({ url: `http://192.0.2.99/a${bad}b` })],
    ['action.method', (bad) => withAction({ method: `PO${bad}ST` })],
    ['action.encoding', (bad) => withAction({ encoding: `js${bad}on` })],
    ['action.auth', (bad) => withAction({ auth: `no${bad}ne` })],
    ['action.user', (bad) => withAction({ auth: 'basic', user: `api${bad}`, pass: 'p' })],
    ['action.pass', (bad) => withAction({ auth: 'basic', user: 'api', pass: `p${bad}w` })],
    ['action.headers[0].name', (bad) => withAction({ headers: [{ name: `X-${bad}A`, value: 'v' }] })],
    ['action.headers[0].value', (bad) => withAction({ headers: [{ name: 'X-A', value: `v${bad}w` }] })],
    ['action.body', (bad) => withAction({ body: `{"a":"b${bad}c"}` })],
    ['failbackAction.url', (bad) => ({ ...base(), failbackAction: { url: `http://192.0.2.98/a${bad}b` } })],
    ['failbackAction.body', (bad) => ({ ...base(), failbackAction: { url: 'http://192.0.2.98/', body: `x${bad}y` } })],
  ];
  const characters: Array<[string, string]> = [
    ['a vertical tab', '\u000b'],
    ['U+0001', '\u0001'],
    ['a C1 control (NEL)', '\u0085'],
    ['a lone surrogate', '\ud800'],
  ];
  const cases = fields.flatMap(([field, make]) => characters.map(([what, bad]) => ({ field, what, input: make(bad) })));

  it.each(cases)('$field with $what -> a problem naming $field', ({ field, input }) => {
    expect(problemAt(input, field).message).not.toBe('');
  });

  it('keeps accepting line breaks and tabs where a field may hold them, and non-Latin text', () => {
    const s = valid(withAction({ body: 'line one\r\nline two\n\tindented 😀' }));
    expect(s.action.body).toBe('line one\r\nline two\n\tindented 😀');
    expect(valid({ ...base(), name: 'Zürich – Hauptsitz' }).name).toBe('Zürich – Hauptsitz');
  });
});
