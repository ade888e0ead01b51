// Accepted statuses of a check ("200", "200-299", "200,204,300-302"): parsed once for validation
// and compiled into a lookup table for the engine, with the same meaning in both.

/** Parse "200", "200-299" or "200,204,300-302" into ranges; a message when the spec is wrong. */
export function parseAcceptStatus(spec: string): { ranges: [number, number][] } | { error: string } {
  if (spec.length > 200) return { error: 'is too long' };
  const parts = spec.split(',').map((p) => p.trim());
  const ranges: [number, number][] = [];
  for (const part of parts) {
    const m = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(part);
    if (!m)
      return { error: `"${part}" is not a status or a range like 200-299 (use e.g. "200", "200-299" or "200,204")` };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599) return { error: `"${part}" is outside the HTTP statuses 100-599` };
    if (lo > hi) return { error: `"${part}" is an empty range (the first status must not be greater than the second)` };
    ranges.push([lo, hi]);
  }
  return { ranges };
}

export function acceptsStatus(spec: string, status: number): boolean {
  const parsed = parseAcceptStatus(spec);
  return 'ranges' in parsed && parsed.ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

export type StatusAcceptor = (status: number) => boolean;

/**
 * Compiles an accept-status spec ("200", "200-299", "200,204") into a table lookup, so the hot path
 * does not parse the spec on every check. The semantics are exactly those of `acceptsStatus`.
 */
export function compileAcceptStatus(spec: string): StatusAcceptor {
  const table = new Uint8Array(600);
  // Parsed once, not once per status: thousands of pairs compile this at start.
  const parsed = parseAcceptStatus(spec);
  if ('ranges' in parsed) for (const [lo, hi] of parsed.ranges) table.fill(1, Math.max(lo, 100), Math.min(hi, 599) + 1);
  return (status) => status >= 100 && status < 600 && table[status] === 1;
}

export const acceptOnly200: StatusAcceptor = (status) => status === 200;
