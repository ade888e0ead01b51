import { describe, expect, it } from 'vitest';
import { bodyContext, contentTypeOf, renderTemplate, templateVariables } from '../../src/shared/template.js';

const NASTY = `a"b\\c\nd\re\tf&<>'=+ /?#%é€😀`;

describe('templateVariables', () => {
  it('finds braces around plain identifiers only, each once', () => {
    expect(templateVariables('{"pair":"{pair}","n":{"x":1},"to":"{to}","again":"{pair}"}')).toEqual(['pair', 'to']);
  });

  it('ignores braces that are not around an identifier', () => {
    expect(templateVariables('{} { pair } {1a} {a-b} {"a"} {{}}')).toEqual([]);
    expect(templateVariables('{_x1}')).toEqual(['_x1']);
  });
});

describe('renderTemplate', () => {
  it('leaves the braces of a JSON body alone and fills in the variables', () => {
    const out = renderTemplate('{"pair":"{pair}","nested":{"k":[1,{"v":2}]}}', { pair: 'acme' }, 'json');
    expect(out).toBe('{"pair":"acme","nested":{"k":[1,{"v":2}]}}');
  });

  it('JSON-escapes quotes, backslashes, newlines and control characters, keeping unicode', () => {
    const out = renderTemplate('{"reason":"{reason}"}', { reason: NASTY + '\u0001' }, 'json');
    expect(JSON.parse(out)).toEqual({ reason: NASTY + '\u0001' });
    expect(out).toContain('\\"');
    expect(out).toContain('\\n');
    expect(out).toContain('\\u0001');
  });

  it('XML-escapes &<>"\' so the body stays well-formed', () => {
    const out = renderTemplate('<r a="{reason}">{reason}</r>', { reason: `&<>"'` }, 'xml');
    expect(out).toBe('<r a="&amp;&lt;&gt;&quot;&apos;">&amp;&lt;&gt;&quot;&apos;</r>');
  });

  it('replaces characters XML cannot carry, keeping tabs, newlines and unicode', () => {
    expect(renderTemplate('<r>{reason}</r>', { reason: 'a\u0000b\u001fc\td\ne\ud800é😀' }, 'xml')).toBe(
      '<r>a\ufffdb\ufffdc\td\ne\ufffdé😀</r>',
    );
  });

  it('URL-encodes in a URL so a value cannot add parameters or paths', () => {
    const out = renderTemplate(
      'http://192.0.2.1/x?reason={reason}&to={to}',
      { reason: 'a&b=c +d/e?f#g', to: 'standby' },
      'url',
    );
    expect(out).toBe('http://192.0.2.1/x?reason=a%26b%3Dc%20%2Bd%2Fe%3Ff%23g&to=standby');
    expect(new URL(out).searchParams.get('reason')).toBe('a&b=c +d/e?f#g');
  });

  it('form-encodes as application/x-www-form-urlencoded (space as +, & = + escaped)', () => {
    const out = renderTemplate('reason={reason}&pair={pair}', { reason: `&=+ !'()~*é`, pair: 'p' }, 'form');
    expect(out).toBe('reason=%26%3D%2B+%21%27%28%29%7E*%C3%A9&pair=p');
    expect(new URLSearchParams(out).get('reason')).toBe(`&=+ !'()~*é`);
  });

  it('round-trips any unicode through the URL and form encodings, even a lone surrogate', () => {
    expect(decodeURIComponent(renderTemplate('{reason}', { reason: 'é€😀' }, 'url'))).toBe('é€😀');
    expect(renderTemplate('{reason}', { reason: 'x\ud800y' }, 'url')).toBe('x%EF%BF%BDy');
    expect(renderTemplate('{reason}', { reason: 'x\udc00' }, 'form')).toBe('x%EF%BF%BD');
  });

  it('keeps values verbatim in plain text', () => {
    expect(renderTemplate('pair {pair}: {reason}', { pair: 'acme', reason: NASTY }, 'plain')).toBe(
      `pair acme: ${NASTY}`,
    );
  });

  it('percent-encodes CR and LF in header values so a value cannot add a header', () => {
    const out = renderTemplate('Bearer {pass}', { pass: 'tok\r\nX-Evil: 1' }, 'header');
    expect(out).toBe('Bearer tok%0D%0AX-Evil: 1');
    expect(out).not.toMatch(/[\r\n]/);
  });

  it('percent-encodes as UTF-8 what a header cannot carry, and leaves visible ASCII and spaces as they are', () => {
    const out = renderTemplate(
      '{name}: {reason}',
      { name: 'Zürich – Hauptsitz', reason: 'Wartung\tRZ-2 100% {ok} \ud83d\ude00 \udc00' },
      'header',
    );
    expect(out).toBe('Z%C3%BCrich %E2%80%93 Hauptsitz: Wartung%09RZ-2 100% {ok} %F0%9F%98%80 %EF%BF%BD');
    expect(out).toMatch(/^[\x20-\x7e]*$/);
    expect(decodeURIComponent('Z%C3%BCrich %E2%80%93 Hauptsitz')).toBe('Zürich – Hauptsitz');
  });

  it('leaves unknown names as they are', () => {
    expect(renderTemplate('{pair}/{nope}', { pair: 'a' }, 'url')).toBe('a/{nope}');
  });

  it('does not take names from the object prototype', () => {
    expect(renderTemplate('{toString}{constructor}', {}, 'plain')).toBe('{toString}{constructor}');
  });

  it('does not re-expand variables inside values', () => {
    expect(renderTemplate('{reason}', { reason: '{pair}', pair: 'x' }, 'plain')).toBe('{pair}');
  });
});

describe('body encodings', () => {
  it('map to a template context and a content type', () => {
    expect(bodyContext('json')).toBe('json');
    expect(bodyContext('xml')).toBe('xml');
    expect(bodyContext('form')).toBe('form');
    expect(bodyContext('plain')).toBe('plain');
    expect(contentTypeOf('json')).toBe('application/json');
    expect(contentTypeOf('xml')).toMatch(/^application\/xml/);
    expect(contentTypeOf('form')).toBe('application/x-www-form-urlencoded');
    expect(contentTypeOf('plain')).toMatch(/^text\/plain/);
  });
});
