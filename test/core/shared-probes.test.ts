// The sharing window itself, with a manual clock: who shares, for how long, and what is never shared.

import { describe, expect, it } from 'vitest';
import { SHARED_PROBE_TTL_MS, SharedProbes } from '../../src/core/shared-probes.js';

function counting() {
  let now = 0;
  let runs = 0;
  const shared = new SharedProbes({ monotonic: () => now });
  const probe =
    (answer = 'up') =>
    () =>
      Promise.resolve(`${answer} #${++runs}`);
  return { shared, probe, at: (ms: number) => (now = ms), runs: () => runs };
}

describe('shared probes', () => {
  it('shares one answer within the window, in flight or done, and probes again after it', async () => {
    const t = counting();
    const first = t.shared.get('v url', t.probe());
    const joined = t.shared.get('v url', t.probe());
    expect(await first).toBe('up #1');
    expect(await joined).toBe('up #1');
    t.at(SHARED_PROBE_TTL_MS - 1);
    expect(await t.shared.get('v url', t.probe())).toBe('up #1');
    t.at(SHARED_PROBE_TTL_MS);
    expect(await t.shared.get('v url', t.probe())).toBe('up #2');
    expect(t.runs()).toBe(2);
  });

  it('keeps keys apart, probes afresh when asked and shares that newer answer', async () => {
    const t = counting();
    expect(await t.shared.get('v a', t.probe())).toBe('up #1');
    expect(await t.shared.get('v b', t.probe())).toBe('up #2');
    expect(await t.shared.get('v a', t.probe(), true)).toBe('up #3');
    expect(await t.shared.get('v a', t.probe())).toBe('up #3');
  });

  it('never shares a rejection', async () => {
    const t = counting();
    await expect(t.shared.get('v a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await t.shared.get('v a', t.probe())).toBe('up #1');
  });

  it('drops old answers, so keys asked once do not stay', async () => {
    const t = counting();
    for (let i = 0; i < 100; i++) await t.shared.get(`v ${i}`, t.probe());
    expect(t.shared.size).toBe(100);
    t.at(SHARED_PROBE_TTL_MS);
    await t.shared.get('v last', t.probe());
    expect(t.shared.size).toBe(1);
  });
});
