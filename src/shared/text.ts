// What text the app accepts anywhere it will be stored: pbxctrl-failover.xml is XML 1.0, so a
// setting, a reason or an operator name must be made of characters XML 1.0 can carry and give back
// exactly. One character outside that set makes the whole file unwritable (the store refuses to
// write what it cannot read back), so every boundary refuses such text before anything changes.
//
// The rule (XML 1.0 `Char` production, minus the control characters it merely tolerates):
// - allowed: tab, line feed, carriage return, U+0020–U+007E, U+00A0–U+D7FF, U+E000–U+FFFD and
//   U+10000–U+10FFFF (a surrogate pair, in JavaScript strings);
// - refused: every other C0 control (U+0000–U+0008, U+000B vertical tab, U+000C form feed,
//   U+000E–U+001F), DEL and the C1 controls (U+007F–U+009F, which XML 1.0 discourages and XML 1.1
//   only allows as references), U+FFFE and U+FFFF, and a lone (unpaired) surrogate.
// - Carriage return is storable: the file writer writes it as the reference `&#13;` (a raw CR
//   would be turned into a line feed by every XML reader), so "a\r\nb" reads back as "a\r\nb".
//   Nothing here converts line breaks; a field that must be one line refuses CR and LF itself.

const NOT_STORABLE =
  // eslint-disable-next-line no-control-regex -- the control characters XML cannot store are what this finds
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first character of `text` that cannot be stored, as "U+000B", or undefined when all can. */
export function firstUnstorable(text: string): string | undefined {
  const m = NOT_STORABLE.exec(text);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

export function isStorable(text: string): boolean {
  return !NOT_STORABLE.test(text);
}

/** A Problem message for text holding such a character, e.g. "contains a character that cannot be stored (U+0001): a control character". */
export function unstorableMessage(text: string): string | undefined {
  const code = firstUnstorable(text);
  return code ? `contains a character that cannot be stored (${code})${describeCode(code)}` : undefined;
}

const NAMES: Record<string, string> = {
  'U+0000': ': a null character',
  'U+000B': ': a vertical tab (what a word processor pastes for a soft line break); use a normal line break',
  'U+000C': ': a form feed',
  'U+001B': ': an escape character',
  'U+007F': ': a delete character',
};

function describeCode(code: string): string {
  if (NAMES[code]) return NAMES[code];
  const n = parseInt(code.slice(2), 16);
  if (n >= 0xd800 && n <= 0xdfff) return ': half of a surrogate pair without its other half';
  if (n < 0x20 || (n >= 0x7f && n <= 0x9f)) return ': a control character';
  return ': not a character';
}
