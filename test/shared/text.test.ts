// The one rule for text that is stored in pbxctrl-failover.xml, checked against the file itself:
// what the rule lets through must be written and read back exactly, what it refuses must not.

import { describe, expect, it } from 'vitest';
import { parseConfigXml, serializeConfigXml } from '../../src/core/config-xml.js';
import { firstUnstorable, isStorable, unstorableMessage } from '../../src/shared/text.js';
import { pairSettings } from '../helpers/engine-fixtures.js';

const STORABLE = [
  'plain',
  'tab\tand\nline feed',
  'Windows\r\nline break',
  'lone\rCR',
  'Zürich – Hauptsitz',
  'emoji 😀 pair',
  '\u00a0nbsp',
  '\ud7ff\ue000\ufffd',
  '\u{10ffff}',
];
const REFUSED: Array<[string, string]> = [
  ['Wartung\u000bRZ-2', 'U+000B'],
  ['a\u0001b', 'U+0001'],
  ['nul\u0000', 'U+0000'],
  ['form\u000cfeed', 'U+000C'],
  ['esc\u001b[0m', 'U+001B'],
  ['del\u007f', 'U+007F'],
  ['c1\u0085next line', 'U+0085'],
  ['c1\u009f', 'U+009F'],
  ['non\ufffe', 'U+FFFE'],
  ['non\uffff', 'U+FFFF'],
  ['lone high \ud800 surrogate', 'U+D800'],
  ['lone low \udc00 surrogate', 'U+DC00'],
  ['reversed pair \ude00\ud83d', 'U+DE00'],
];

/** The text as the reason of a paused pair, through the real file writer and reader. */
function roundTrip(text: string): { ok: boolean; back?: string } {
  const xml = serializeConfigXml({
    pairs: [
      {
        settings: pairSettings({ id: 'a', primaryUrl: 'http://192.0.2.10/', actionUrl: 'http://192.0.2.99/hook' }),
        persisted: { state: 'paused', since: '2026-11-27T08:00:00.000Z', reason: text },
      },
    ],
  });
  const parsed = parseConfigXml(xml);
  return parsed.ok ? { ok: true, back: parsed.config.pairs[0]!.persisted!.reason! } : { ok: false };
}

describe('storable text', () => {
  it.each(STORABLE)('stores %j and reads it back exactly (CR included, written as &#13;)', (text) => {
    expect(isStorable(text)).toBe(true);
    expect(firstUnstorable(text)).toBeUndefined();
    expect(roundTrip(text)).toEqual({ ok: true, back: text });
  });

  it.each(REFUSED)('refuses %j naming %s', (text, code) => {
    expect(isStorable(text)).toBe(false);
    expect(firstUnstorable(text)).toBe(code);
    expect(unstorableMessage(text)).toMatch(
      new RegExp(`^contains a character that cannot be stored \\(${code.replace('+', '\\+')}\\)`),
    );
  });

  it('refuses only what the file could not give back exactly (C0 controls and lone surrogates break the file)', () => {
    for (const [text] of REFUSED) {
      const back = roundTrip(text);
      // C1 controls and DEL would survive XML 1.0, but are refused all the same: never meant as text.
      if (/[\u007f-\u009f]/.test(text)) continue;
      expect(back.ok && back.back === text, JSON.stringify(text)).toBe(false);
    }
  });

  it('explains the vertical tab a word processor pastes', () => {
    expect(unstorableMessage('Wartung\u000bRZ-2')).toBe(
      'contains a character that cannot be stored (U+000B): a vertical tab (what a word processor pastes for a soft line break); use a normal line break',
    );
  });
});
