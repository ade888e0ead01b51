// Writes of changed states made from the file as last written (config-image.ts): only the changed
// pairs are serialized again, and the file is byte for byte what a full serialize would write.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigImage } from '../../src/core/config-image.js';
import { createConfigStore } from '../../src/core/config-store.js';
import { buildConfigDocument, parseConfigXml, serializeConfigXml } from '../../src/core/config-xml.js';
import { writeXmlPieces } from '../../src/core/xml-tree.js';
import type { ConfigStore, FailoverConfig, PairRecord, PersistedState } from '../../src/core/ports.js';
import { PAIR_STATES, type ActionStatus } from '../../src/shared/model.js';
import { RICH_SAMPLE, configWith, minimalPair } from '../helpers/xml-samples.js';
import { rejection } from '../helpers/test-scope.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'config-image-'));
  file = path.join(dir, 'pbxctrl-failover.xml');
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const MAINTENANCE = `  <maintenance id="dc1" reason="DC-1 router replacement" ticket="CHG-42">
    <pairs>acme beta</pairs>
    <once start="2026-12-06T22:00:00Z" end="2026-12-06T23:30:00Z"/>
  </maintenance>`;

/** RICH_SAMPLE (unknown elements, attributes, comments, CDATA, action progress) with more pairs and a window. */
function sample(extraPairs: number): string {
  const more = Array.from({ length: extraPairs }, (_, i) =>
    minimalPair(`p${i}`, i % 3 === 0 ? `\n    <x:note xmlns:x="urn:example:extra">pair ${i} &amp; co</x:note>` : ''),
  );
  return RICH_SAMPLE.replace('  <x:footer/>', `${more.join('\n')}\n${MAINTENANCE}\n  <x:footer/>`);
}

/** A store that records how each write was made. */
function openStore(): { store: ConfigStore; writes: (number | 'all')[] } {
  const writes: (number | 'all')[] = [];
  const store = createConfigStore(dir, { onWritten: ({ rewritten }) => writes.push(rewritten) });
  return { store, writes };
}

/** What the full path writes for `config` over the file `previous`: the bytes a fast write must produce. */
function fullSerialize(config: FailoverConfig, previous: string): string {
  const parsed = parseConfigXml(previous);
  if (!parsed.ok) throw new Error(`the previous file does not parse: ${JSON.stringify(parsed.problems)}`);
  return serializeConfigXml(config, { base: parsed.document });
}

/** A small deterministic generator (mulberry32), so that a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPersisted(next: () => number, n: number): PersistedState {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const at = (k: number) => new Date(Date.UTC(2026, 10, 27, 8, 0, 0) + k * 1000 + n).toISOString();
  const state = pick(PAIR_STATES);
  const p: PersistedState = { state, since: at(n) };
  if (next() < 0.4) p.reason = pick(['maintenance', 'a & b <c> "d"', 'line one\nline two', `reason ${n}`, '']);
  if (next() < 0.3) p.primaryAnswered = true;
  if (state === 'paused' && next() < 0.5) p.pausedBy = 'schedule';
  if (next() < 0.3) {
    const action: ActionStatus = {
      kind: pick(['failover', 'failback'] as const),
      phase: pick(['pending', 'running', 'succeeded', 'failed', 'unknown'] as const),
      manual: next() < 0.5,
      reason: pick(['primary down', 'operator: "test" & <go>']),
      startedAt: at(n + 1),
      attempts: Array.from({ length: Math.floor(next() * 3) }, (_, i) => ({
        attempt: i + 1,
        at: at(n + 2 + i),
        ok: next() < 0.5,
        latencyMs: Math.round(next() * 5000) / 10,
        ...(next() < 0.5 ? { status: 500 } : { error: 'timed out after 2.5 s' }),
      })),
      actionId: `a${n}`,
      from: 'waiting',
    };
    if (next() < 0.5) action.finishedAt = at(n + 9);
    if (next() < 0.5) action.inFlight = { attempt: 1, at: at(n + 3) };
    if (next() < 0.5) {
      action.request = {
        method: 'POST',
        url: 'https://dns.example.net/api?x=1&y=2',
        headers: [{ name: 'X-Key', value: '••••••••' }],
        body: '{"a":"b"}',
      };
    }
    p.action = action;
  }
  return p;
}

describe('a write of changed states', () => {
  it('is byte for byte what a full serialize writes, over random state changes (property)', async () => {
    await fs.writeFile(file, sample(30));
    const { store, writes } = openStore();
    let config = await store.load();
    // Loaded from a file written by hand: its pieces were made (and read back) at the load, so the
    // first write, with nothing changed, rewrites no pair and is what the full path would write.
    const loaded = await fs.readFile(file, 'utf8');
    await store.save(config);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(config, loaded));
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const next = random(seed);
      for (let round = 0; round < 12; round++) {
        const changes = 1 + Math.floor(next() * 4);
        const pairs = config.pairs.slice();
        for (let c = 0; c < changes; c++) {
          const i = Math.floor(next() * pairs.length);
          pairs[i] = { settings: pairs[i]!.settings, persisted: randomPersisted(next, seed * 1000 + round * 10 + c) };
        }
        // Now and then one pair's settings are edited too (a new settings object).
        if (next() < 0.2) {
          const i = Math.floor(next() * pairs.length);
          const p = pairs[i]!;
          pairs[i] = {
            ...p,
            settings: { ...p.settings, interval: 1 + Math.floor(next() * 60), name: `edited ${round}` },
          };
        }
        config = { ...config, pairs };
        const previous = await fs.readFile(file, 'utf8');
        await store.save(config);
        const written = await fs.readFile(file, 'utf8');
        expect(written, `seed ${seed}, round ${round}`).toBe(fullSerialize(config, previous));
        const back = parseConfigXml(written);
        expect(back.ok && back.config.pairs.map((p) => p.persisted)).toEqual(config.pairs.map((p) => p.persisted));
      }
    }
    expect(writes[0]).toBe(0);
    expect(writes.slice(1).every((w) => typeof w === 'number' && w >= 1 && w <= 5)).toBe(true);
    expect(writes).toHaveLength(1 + 8 * 12);
  });

  it('rewrites only the changed pair in the first write after loading a file written by hand', async () => {
    await fs.writeFile(file, sample(5));
    const { store, writes } = openStore();
    const config = await store.load();
    const changed = withState(config, 'p2', { state: 'failover', since: '2026-12-01T10:00:00.000Z' });
    await store.save(changed);
    expect(writes).toEqual([1]);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(changed, sample(5)));
  });

  it('starts rewriting only what changed at once when the loaded file is as the app writes it', async () => {
    await fs.writeFile(file, sample(5));
    const first = openStore();
    await first.store.save(await first.store.load());
    const { store, writes } = openStore();
    const config = await store.load();
    const previous = await fs.readFile(file, 'utf8');
    const changed = withState(config, 'p2', { state: 'failover', since: '2026-12-01T10:00:00.000Z' });
    await store.save(changed);
    expect(writes).toEqual([1]);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(changed, previous));
  });

  it('keeps unknown elements, attributes and comments of the pairs it rewrites and of those it does not', async () => {
    await fs.writeFile(file, sample(3));
    const { store, writes } = openStore();
    let config = await store.load();
    await store.save(config);
    config = withState(config, 'acme', { state: 'waiting', since: '2026-12-01T10:00:00.000Z', reason: 'back' });
    await store.save(config);
    config = withState(config, 'p0', { state: 'paused', since: '2026-12-01T10:00:01.000Z' });
    await store.save(config);
    expect(writes).toEqual([0, 1, 1]);
    const text = await fs.readFile(file, 'utf8');
    for (const kept of [
      'owner="noc"',
      '<x:site-info region="eu">',
      'x:ticket="4711"',
      '<notes>call <b>Bob</b> first</notes>',
      '<x:comment>keep me</x:comment>',
      '<!-- the end of acme -->',
      '<x:note xmlns:x="urn:example:extra">pair 0 &amp; co</x:note>',
      'ticket="CHG-42"',
      '<x:footer/>',
      '<!-- trailing comment -->',
    ]) {
      expect(text).toContain(kept);
    }
    expect(text).toContain('<state since="2026-12-01T10:00:00.000Z" reason="back">waiting</state>');
    // The episode ended: its <action-progress> is gone from acme.
    expect(text).not.toContain('<action-progress');
  });
});

describe('the pieces of the last file are not reused when they no longer fit', () => {
  it('after a settings edit of one pair: only that pair is rewritten, with its new settings', async () => {
    await fs.writeFile(file, sample(4));
    const { store, writes } = openStore();
    let config = await store.load();
    await store.save(config);
    const previous = await fs.readFile(file, 'utf8');
    config = {
      ...config,
      pairs: config.pairs.map((p) =>
        p.settings.id === 'p1' ? { ...p, settings: { ...p.settings, interval: 42 } } : p,
      ),
    };
    await store.save(config);
    expect(writes).toEqual([0, 1]);
    const text = await fs.readFile(file, 'utf8');
    expect(text).toBe(fullSerialize(config, previous));
    const back = await createConfigStore(dir).load();
    expect(back.pairs.find((p) => p.settings.id === 'p1')!.settings.interval).toBe(42);
    // And a state change after it reuses the new p1, not the old one.
    config = withState(config, 'p3', { state: 'verifying', since: '2026-12-01T10:00:00.000Z' });
    await store.save(config);
    expect(writes).toEqual([0, 1, 1]);
    expect((await createConfigStore(dir).load()).pairs.find((p) => p.settings.id === 'p1')!.settings.interval).toBe(42);
  });

  it('after a pair is removed or added: the whole file is written, and later state writes are fast again', async () => {
    await fs.writeFile(file, sample(4));
    const { store, writes } = openStore();
    let config = await store.load();
    await store.save(config);
    config = { ...config, pairs: config.pairs.filter((p) => p.settings.id !== 'p2') };
    await store.save(config);
    let previous = await fs.readFile(file, 'utf8');
    expect(previous).not.toContain('<pair id="p2"');
    config = withState(config, 'p3', { state: 'failover', since: '2026-12-01T10:00:00.000Z' });
    await store.save(config);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(config, previous));
    const added = parseConfigXml(configWith(minimalPair('zz')));
    if (!added.ok) throw new Error('the added pair does not parse');
    config = { ...config, pairs: [...config.pairs, ...added.config.pairs] };
    await store.save(config);
    previous = await fs.readFile(file, 'utf8');
    config = withState(config, 'zz', { state: 'waiting', since: '2026-12-01T10:00:02.000Z' });
    await store.save(config);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(config, previous));
    expect(writes).toEqual([0, 'all', 1, 'all', 1]);
    expect((await createConfigStore(dir).load()).pairs.map((p) => p.settings.id)).toEqual([
      'acme',
      'beta',
      'p0',
      'p1',
      'p3',
      'zz',
    ]);
  });

  it('when the pairs come in another order: the file keeps its order, as a full write does', async () => {
    await fs.writeFile(file, sample(4));
    const { store, writes } = openStore();
    let config = await store.load();
    await store.save(config);
    const previous = await fs.readFile(file, 'utf8');
    config = withState({ ...config, pairs: config.pairs.slice().reverse() }, 'p0', {
      state: 'paused',
      since: '2026-12-01T10:00:00.000Z',
    });
    await store.save(config);
    expect(writes).toEqual([0, 1]);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(config, previous));
  });

  it('when a maintenance window changes: the whole file is written', async () => {
    await fs.writeFile(file, sample(2));
    const { store, writes } = openStore();
    let config = await store.load();
    await store.save(config);
    const previous = await fs.readFile(file, 'utf8');
    config = { ...config, maintenance: config.maintenance!.map((w) => ({ ...w, reason: 'moved' })) };
    await store.save(config);
    expect(writes).toEqual([0, 'all']);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(config, previous));
  });

  it('a state XML cannot hold (a control character in the reason) is refused, writing nothing', async () => {
    await fs.writeFile(file, sample(2));
    const { store } = openStore();
    const config = await store.load();
    await store.save(config);
    const before = await fs.readFile(file, 'utf8');
    const err = await rejection(
      store.save(withState(config, 'p0', { state: 'paused', since: '2026-12-01T10:00:00.000Z', reason: 'a\u0001b' })),
    );
    expect(err.code).toBe('invalid');
    expect(err.problems).toEqual([expect.objectContaining({ pair: 'p0', message: expect.stringContaining('U+0001') })]);
    expect(await fs.readFile(file, 'utf8')).toBe(before);
  });

  it("no windows given and none in the file write alike: the engine's maintenance: [] keeps the fast path", async () => {
    await fs.writeFile(file, RICH_SAMPLE);
    const { store, writes } = openStore();
    const loaded = await store.load();
    expect(loaded.maintenance).toBeUndefined();
    const previous = await fs.readFile(file, 'utf8');
    const config = withState({ ...loaded, maintenance: [], notify: [] }, 'beta', {
      state: 'paused',
      since: '2026-12-01T10:00:00.000Z',
    });
    await store.save(config);
    expect(writes).toEqual([1]);
    expect(await fs.readFile(file, 'utf8')).toBe(fullSerialize(config, previous));
  });

  it('a rewritten pair that would not read back is refused, writing nothing', async () => {
    await fs.writeFile(file, sample(2));
    const { store } = openStore();
    let config = await store.load();
    await store.save(config);
    const before = await fs.readFile(file, 'utf8');
    config = withState(config, 'p1', { state: 'waiting', since: 'yesterday' });
    const err = await rejection(store.save(config));
    expect(err.code).toBe('invalid');
    expect(err.problems).toEqual([expect.objectContaining({ pair: 'p1', field: 'state.since' })]);
    expect(await fs.readFile(file, 'utf8')).toBe(before);
  });
});

describe('a write of thousands of changed states while the loop runs late', () => {
  it('takes a share of every turn the loop takes, not 15 ms of it, so that it is not starved', async () => {
    const loaded = parseConfigXml(configWith(...Array.from({ length: 4000 }, (_, i) => minimalPair(`p${i}`))));
    if (!loaded.ok) throw new Error('the sample does not parse');
    const pieces = writeXmlPieces(buildConfigDocument(loaded.config, { base: loaded.document }))!;
    const text = pieces.head + pieces.children.join('') + pieces.tail;
    const written = parseConfigXml(text);
    if (!written.ok) throw new Error('the written sample does not parse');
    const image = ConfigImage.of(written.document, written.config, pieces, Buffer.from(text, 'utf8'))!;
    const since = '2026-12-03T10:00:00.000Z';
    const changed: FailoverConfig = {
      ...written.config,
      pairs: written.config.pairs.map((p) => ({ settings: p.settings, persisted: { state: 'waiting', since } })),
    };
    // A loop running late: every turn, the checks due hold it for 200 ms. Both wait in the same
    // queue of immediates, so between two slices of the write the other work runs exactly once.
    let turns = 0;
    let done = false;
    const lateLoop = () => {
      if (done) return;
      turns++;
      const until = performance.now() + 200;
      while (performance.now() < until);
      setImmediate(lateLoop);
    };
    setImmediate(lateLoop);
    const result = await image.write(changed, written.document, 64 * 2 ** 20);
    done = true;
    expect(result?.rewritten).toBe(4000);
    // After each turn away (200 ms or more) the next slice runs at least a quarter of it: at most one
    // turn per 50 ms of the write's own work, besides the first slice (15 ms) and the last.
    expect(turns).toBeLessThanOrEqual(Math.floor(result!.loopMs / 50) + 2);
    expect(result!.bytes.toString('utf8')).toBe(serializeConfigXml(changed, { base: written.document }));
  });
});

describe('a hand edit between two fast writes', () => {
  async function twoFastWrites(edit: () => Promise<void>): Promise<{ store: ConfigStore; next: FailoverConfig }> {
    await fs.writeFile(file, sample(3));
    const { store, writes } = openStore();
    let config = await store.load();
    await store.save(config);
    config = withState(config, 'p0', { state: 'failover', since: '2026-12-01T10:00:00.000Z' });
    await store.save(config);
    expect(writes).toEqual([0, 1]);
    await edit();
    return { store, next: withState(config, 'p1', { state: 'paused', since: '2026-12-01T10:00:01.000Z' }) };
  }

  it('is found when it keeps the size and lands at once, within the clock resolution of the write', async () => {
    let edited = '';
    const { store, next } = await twoFastWrites(async () => {
      const text = await fs.readFile(file, 'utf8');
      edited = text.replace('<interval>1</interval>', '<interval>7</interval>');
      expect(edited.length).toBe(text.length);
      // In place (same inode), right after the write.
      await fs.writeFile(file, edited);
    });
    expect(await store.changedOnDisk()).toBe(true);
    const err = await rejection(store.save(next));
    expect(err.code).toBe('conflict');
    expect(await fs.readFile(file, 'utf8')).toBe(edited);
  });

  it('is found when the file is replaced (another inode) with the same bytes but another size later', async () => {
    const { store, next } = await twoFastWrites(async () => {
      const text = await fs.readFile(file, 'utf8');
      await fs.writeFile(`${file}.new`, text.replace('<interval>1</interval>', '<interval>10</interval>'));
      await fs.rename(`${file}.new`, file);
    });
    expect((await rejection(store.save(next))).code).toBe('conflict');
  });

  it('is not seen where there is none: a file only touched is written over', async () => {
    const { store, next } = await twoFastWrites(async () => {
      const later = new Date(Date.now() + 5000);
      await fs.utimes(file, later, later);
    });
    expect(await store.changedOnDisk()).toBe(false);
    await store.save(next);
    expect(await fs.readFile(file, 'utf8')).toContain('<state since="2026-12-01T10:00:01.000Z">paused</state>');
  });

  it('keeps the file before the write as .bak, a second name of the file as it was written', async () => {
    await fs.writeFile(file, sample(2));
    const { store } = openStore();
    let config = await store.load();
    await store.save(config);
    const written = await fs.readFile(file, 'utf8');
    config = withState(config, 'p0', { state: 'failover', since: '2026-12-01T10:00:00.000Z' });
    await store.save(config);
    expect(await fs.readFile(`${file}.bak`, 'utf8')).toBe(written);
    expect((await fs.stat(`${file}.bak`)).mode & 0o777).toBe(0o600);
    expect((await fs.readdir(dir)).sort()).toEqual(['pbxctrl-failover.xml', 'pbxctrl-failover.xml.bak']);
  });
});

function withState(config: FailoverConfig, id: string, persisted: PersistedState): FailoverConfig {
  return {
    ...config,
    pairs: config.pairs.map((p): PairRecord => (p.settings.id === id ? { settings: p.settings, persisted } : p)),
  };
}
