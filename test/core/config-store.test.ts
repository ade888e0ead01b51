import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConfigStore, readConfigFile } from '../../src/core/config-store.js';
import type { FailoverConfig } from '../../src/core/ports.js';
import { MonitorError } from '../../src/shared/api.js';
import { SECRET_MASK } from '../../src/shared/model.js';
import { CONTRACT_SAMPLE, RICH_SAMPLE, configWith, minimalPair } from '../helpers/xml-samples.js';
import { rejection } from '../helpers/test-scope.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'config-store-'));
  file = path.join(dir, 'pbxctrl-failover.xml');
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function withInterval(config: FailoverConfig, interval: number): FailoverConfig {
  return { pairs: config.pairs.map((p) => ({ ...p, settings: { ...p.settings, interval } })) };
}

async function listDir(): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

describe('load', () => {
  it('reads a missing file as no pairs and does not create it', async () => {
    const store = createConfigStore(dir);
    expect(store.path).toBe(file);
    expect(await store.load()).toEqual({ pairs: [] });
    expect(await listDir()).toEqual([]);
  });

  it('refuses an empty or blank file, naming it: a truncated file must not read as "no pairs"', async () => {
    for (const text of ['', '  \n\t\n']) {
      await fs.writeFile(file, text);
      const err = await createConfigStore(dir)
        .load()
        .then(
          () => undefined,
          (e: unknown) => e as MonitorError,
        );
      expect(err).toBeInstanceOf(MonitorError);
      expect(err!.code).toBe('invalid');
      expect(err!.problems).toEqual([{ field: 'file', message: expect.stringContaining(`${file} is empty`) }]);
      expect(await fs.readFile(file, 'utf8')).toBe(text);
    }
  });

  it('reads the contract sample', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    const config = await createConfigStore(dir).load();
    expect(config.pairs[0]!.settings.name).toBe('ACME Corp');
    expect(config.pairs[0]!.persisted).toEqual({ state: 'waiting', since: '2026-11-27T08:00:00Z' });
  });

  it('refuses an invalid file with every problem, and never touches it', async () => {
    const bad = configWith(
      minimalPair('a').replace('<interval>1</interval>', '<interval>0</interval>'),
      minimalPair('a'),
    );
    await fs.writeFile(file, bad);
    const before = await fs.stat(file);
    const store = createConfigStore(dir);
    const err = await rejection(store.load());
    expect(err.code).toBe('invalid');
    // Every problem at once: the bad interval and the duplicate id together.
    expect(err.message).toBe('pbxctrl-failover.xml: 2 problems');
    expect(err.problems).toEqual([
      { pair: 'a', field: 'interval', message: expect.stringMatching(/at least 0.1/) },
      { pair: 'a', field: 'id', message: expect.stringMatching(/duplicate pair id "a"/) },
    ]);
    // A store that could not read the file will not write over it either.
    const saveErr = await rejection(store.save({ pairs: [] }));
    expect(saveErr.code).toBe('conflict');
    expect(await fs.readFile(file, 'utf8')).toBe(bad);
    expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(await listDir()).toEqual(['pbxctrl-failover.xml']);
  });

  it('refuses a file over the size limit without reading it', async () => {
    await fs.writeFile(file, configWith(minimalPair('a'), `<!-- ${'x'.repeat(3000)} -->`));
    const err = await rejection(createConfigStore(dir, { maxBytes: 2048 }).load());
    expect(err.code).toBe('invalid');
    expect(err.problems).toEqual([{ field: 'file', message: expect.stringMatching(/files over 2 KiB are refused/) }]);
  });

  it('loads a file of thousands of pairs (over 2 MiB) with the default limit, and refuses one over 16 MiB', async () => {
    const ids = Array.from({ length: 6000 }, (_, i) => `p${i}`);
    await fs.writeFile(file, configWith(...ids.map((id) => minimalPair(id)), `<!-- ${'x'.repeat(1024 * 1024)} -->`));
    expect((await fs.stat(file)).size).toBeGreaterThan(2 * 1024 * 1024);
    const config = await createConfigStore(dir).load();
    expect(config.pairs.map((p) => p.settings.id)).toEqual(ids);

    await fs.writeFile(file, configWith(minimalPair('a'), `<!-- ${'x'.repeat(16 * 1024 * 1024)} -->`));
    const err = await rejection(createConfigStore(dir).load());
    expect(err.problems).toEqual([{ field: 'file', message: 'the file is 16 MiB; files over 16 MiB are refused' }]);
  });

  it('refuses bytes that are not UTF-8', async () => {
    await fs.writeFile(
      file,
      Buffer.concat([
        Buffer.from('<pbxctrl-failover><!-- '),
        Buffer.from([0xff, 0xfe, 0xc0]),
        Buffer.from(' --></pbxctrl-failover>'),
      ]),
    );
    const err = await rejection(createConfigStore(dir).load());
    expect(err.problems).toEqual([{ field: 'file', message: 'is not valid UTF-8 text' }]);
  });

  it('removes temporary files a killed writer left behind, but not those of live processes', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = path.join(dir, `.pbxctrl-failover.xml.${dead}.7.tmp`);
    const staleBak = path.join(dir, `.pbxctrl-failover.xml.bak.${dead}.8.tmp`);
    const live = path.join(dir, `.pbxctrl-failover.xml.${process.ppid}.1.tmp`);
    const other = path.join(dir, 'notes.tmp');
    for (const f of [stale, staleBak, live, other]) await fs.writeFile(f, 'x');
    await createConfigStore(dir).load();
    expect(await listDir()).toEqual([path.basename(live), 'notes.tmp'].sort());
  });
});

describe('save', () => {
  it('writes a file that loads back equal, with no temporary files left', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    const store = createConfigStore(dir);
    const config = await store.load();
    const changed = withInterval(config, 0.5);
    await store.save(changed);
    expect(await createConfigStore(dir).load()).toEqual(changed);
    expect(await listDir()).toEqual(['pbxctrl-failover.xml', 'pbxctrl-failover.xml.bak']);
  });

  it('keeps the previous good file as .bak', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    const store = createConfigStore(dir);
    const config = await store.load();
    await store.save(withInterval(config, 2));
    expect(await fs.readFile(`${file}.bak`, 'utf8')).toBe(CONTRACT_SAMPLE);
    const second = await fs.readFile(file, 'utf8');
    await store.save(withInterval(config, 3));
    expect(await fs.readFile(`${file}.bak`, 'utf8')).toBe(second);
    expect((await readConfigFile(`${file}.bak`)).ok).toBe(true);
  });

  it('creates the file (and the serverdir) on the first save, with no .bak and private permissions', async () => {
    const nested = path.join(dir, 'new', 'serverdir');
    const store = createConfigStore(nested);
    await store.load();
    const config = (await readConfigFile(await writeTemp(CONTRACT_SAMPLE))) as { ok: true; config: FailoverConfig };
    await store.save(config.config);
    expect(await fs.readdir(nested)).toEqual(['pbxctrl-failover.xml']);
    expect((await fs.stat(path.join(nested, 'pbxctrl-failover.xml'))).mode & 0o777).toBe(0o600);
  });

  it('keeps unknown elements, attributes and comments through a save', async () => {
    await fs.writeFile(file, RICH_SAMPLE);
    const store = createConfigStore(dir);
    const config = await store.load();
    await store.save(withInterval(config, 7));
    const text = await fs.readFile(file, 'utf8');
    for (const kept of [
      'owner="noc"',
      '<x:site-info region="eu">',
      'x:ticket="4711"',
      '<notes>call <b>Bob</b> first</notes>',
      '<x:comment>keep me</x:comment>',
      '<!-- trailing comment -->',
    ]) {
      expect(text).toContain(kept);
    }
    expect(text.match(/<interval>7<\/interval>/g)).toHaveLength(2);
    // And again, from what the first save wrote.
    const again = createConfigStore(dir);
    await again.save(withInterval(await again.load(), 8));
    expect(await fs.readFile(file, 'utf8')).toContain('<x:comment>keep me</x:comment>');
  });

  it('does not write over a file changed by hand since it was read', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    const store = createConfigStore(dir);
    const config = await store.load();
    expect(await store.changedOnDisk()).toBe(false);
    const edited = CONTRACT_SAMPLE.replace('<interval>10</interval>', '<interval>20</interval>');
    await fs.writeFile(file, edited);
    expect(await store.changedOnDisk()).toBe(true);
    const err = await rejection(store.save(withInterval(config, 1)));
    expect(err.code).toBe('conflict');
    expect(err.message).toBe('pbxctrl-failover.xml was changed by hand since it was read; not overwriting it');
    expect(await fs.readFile(file, 'utf8')).toBe(edited);
    // After reading it again, saving works and starts from the hand-edited file.
    expect((await store.load()).pairs[0]!.settings.interval).toBe(20);
    await store.save(withInterval(config, 1));
    expect(await store.changedOnDisk()).toBe(false);
  });

  it('counts a file created or deleted by hand as a change', async () => {
    const store = createConfigStore(dir);
    await store.load();
    await fs.writeFile(file, configWith(minimalPair('a')));
    expect(await store.changedOnDisk()).toBe(true);
    expect((await rejection(store.save({ pairs: [] }))).code).toBe('conflict');

    await store.load();
    await fs.rm(file);
    expect(await store.changedOnDisk()).toBe(true);
  });

  it('serializes concurrent saves; the last one wins and each settles when on disk', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    const store = createConfigStore(dir);
    const config = await store.load();
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.save(withInterval(config, i + 1)).then(async () => {
          done.push(i + 1);
          const onDisk = await readConfigFile(file);
          expect(onDisk.ok).toBe(true);
        }),
      ),
    );
    expect(done).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await createConfigStore(dir).load()).pairs[0]!.settings.interval).toBe(20);
    expect(await listDir()).toEqual(['pbxctrl-failover.xml', 'pbxctrl-failover.xml.bak']);
  });

  it('refuses to write a configuration that would not read back, touching nothing', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    const store = createConfigStore(dir);
    const config = await store.load();
    const err = await rejection(store.save(withInterval(config, 0)));
    expect(err.code).toBe('invalid');
    expect(err.problems?.[0]).toMatchObject({ pair: 'acme', field: 'interval' });
    expect(await fs.readFile(file, 'utf8')).toBe(CONTRACT_SAMPLE);
    // A failed save does not block the queue.
    await store.save(withInterval(config, 4));
    expect((await store.load()).pairs[0]!.settings.interval).toBe(4);
  });

  it('says in words why the serverdir cannot be read', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    await fs.writeFile(blocker, 'x');
    const err = await rejection(createConfigStore(path.join(blocker, 'serverdir')).load());
    expect(err.code).toBe('internal');
    expect(err.message).toMatch(
      /^cannot read .*pbxctrl-failover\.xml: a part of the path is not a directory \(ENOTDIR\)$/,
    );
  });

  it('says in words why a save failed, leaves the file as it was and no temporary files', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    // A directory where the backup belongs makes the write fail half-way.
    await fs.mkdir(`${file}.bak`);
    await fs.writeFile(path.join(`${file}.bak`, 'x'), 'x');
    const store = createConfigStore(dir);
    const config = await store.load();
    const err = await rejection(store.save(withInterval(config, 2)));
    expect(err.code).toBe('internal');
    expect(err.message).toMatch(/^cannot write .*pbxctrl-failover\.xml: /);
    expect(await fs.readFile(file, 'utf8')).toBe(CONTRACT_SAMPLE);
    expect(await listDir()).toEqual(['pbxctrl-failover.xml', 'pbxctrl-failover.xml.bak']);
  });
});

describe('parse, serialize and readConfigFile', () => {
  it('parses and serializes without touching the disk, masked on request', async () => {
    const store = createConfigStore(dir);
    const parsed = store.parse(CONTRACT_SAMPLE);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const masked = store.serialize(parsed.config, { masked: true });
    expect(masked).toContain(`<pass>${SECRET_MASK}</pass>`);
    expect(masked).not.toContain('>secret<');
    expect(store.serialize(parsed.config)).toContain('<pass>secret</pass>');
    expect(store.parse('<nope/>')).toEqual({
      ok: false,
      problems: [{ field: 'file', message: expect.stringMatching(/root element/) }],
    });
    expect(await listDir()).toEqual([]);
  });

  it('reads a masked export back with the stored secrets when given the existing pairs', async () => {
    await fs.writeFile(file, RICH_SAMPLE);
    const store = createConfigStore(dir);
    const config = await store.load();
    const masked = store.serialize(config, { masked: true });
    const stored = new Map(config.pairs.map((p) => [p.settings.id, p.settings]));
    const back = store.parse(masked, { existing: (id) => stored.get(id) });
    expect(back).toEqual({ ok: true, config });
    const alone = store.parse(masked);
    expect(alone.ok).toBe(false);
    if (!alone.ok)
      expect(alone.problems.map((p) => `${p.pair}:${p.field}`).sort()).toEqual([
        'acme:action.headers[0].value',
        'acme:action.headers[1].value',
        'acme:action.pass',
      ]);
  });

  it('serializes with the unknown content of the loaded file', async () => {
    await fs.writeFile(file, RICH_SAMPLE);
    const store = createConfigStore(dir);
    const text = store.serialize(await store.load(), { masked: true });
    expect(text).toContain('<x:comment>keep me</x:comment>');
    expect(text).not.toContain('k3y');
  });

  it('readConfigFile validates any file and says what is wrong', async () => {
    expect(await readConfigFile(await writeTemp(CONTRACT_SAMPLE))).toMatchObject({ ok: true });
    expect(await readConfigFile(path.join(dir, 'missing.xml'))).toEqual({
      ok: false,
      problems: [{ field: 'file', message: `${path.join(dir, 'missing.xml')} does not exist` }],
    });
    const bad = await readConfigFile(await writeTemp(configWith(minimalPair('a').replace('{pair}', '{foo}'))));
    expect(bad).toEqual({
      ok: false,
      problems: [{ pair: 'a', field: 'action.url', message: expect.stringMatching(/unknown variable \{foo\}/) }],
    });
    const empty = await writeTemp('');
    expect(await readConfigFile(empty)).toEqual({
      ok: false,
      problems: [{ field: 'file', message: expect.stringContaining(`${empty} is empty`) }],
    });
  });
});

let tempCount = 0;
async function writeTemp(text: string): Promise<string> {
  const f = path.join(dir, `sample-${++tempCount}.xml`);
  await fs.writeFile(f, text);
  return f;
}

describe('a hand edit landing while the file is written', () => {
  it('is not overwritten: the file is checked again right before the rename', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    const edited = CONTRACT_SAMPLE.replace('<interval>10</interval>', '<interval>20</interval>');
    let saves = 0;
    // On the second save, the edit lands after the first check, while the new content is being written.
    const store = createConfigStore(dir, {
      beforeReplace: async () => {
        if (++saves === 2) await fs.writeFile(file, edited);
      },
    });
    const config = await store.load();
    await store.save(withInterval(config, 11));
    const good = await fs.readFile(file, 'utf8');
    expect(good).toContain('<interval>11</interval>');

    const err = await rejection(store.save(withInterval(config, 12)));
    expect(err.code).toBe('conflict');
    expect(err.message).toBe('pbxctrl-failover.xml was changed by hand since it was read; not overwriting it');
    expect(await fs.readFile(file, 'utf8')).toBe(edited);
    // The backup is still the last file the store wrote, and no temporary file is left behind.
    expect(await fs.readFile(`${file}.bak`, 'utf8')).toBe(CONTRACT_SAMPLE);
    expect(await listDir()).toEqual(['pbxctrl-failover.xml', 'pbxctrl-failover.xml.bak']);
    expect(await store.changedOnDisk()).toBe(true);
  });
});

describe('file mode (the file holds secrets)', () => {
  const modeOf = async (f: string) => (await fs.stat(f)).mode & 0o777;
  const warnings = () => {
    const lines: string[] = [];
    const put = (message: string) => void lines.push(message);
    return { lines, log: { info: () => undefined, warn: put, error: put } };
  };

  it('writes a new file and its .bak with mode 0600, without a warning', async () => {
    const { lines, log } = warnings();
    const store = createConfigStore(dir, { log });
    await store.load();
    const parsed = store.parse(CONTRACT_SAMPLE);
    if (!parsed.ok) throw new Error('the sample does not parse');
    await store.save(parsed.config);
    expect(await modeOf(file)).toBe(0o600);
    await store.save({ pairs: [] });
    expect(await modeOf(file)).toBe(0o600);
    expect(await modeOf(`${file}.bak`)).toBe(0o600);
    expect(lines).toEqual([]);
  });

  it('narrows a file and a .bak others could read to 0600 and warns once', async () => {
    await fs.writeFile(file, CONTRACT_SAMPLE);
    await fs.writeFile(`${file}.bak`, CONTRACT_SAMPLE);
    await fs.chmod(file, 0o644);
    await fs.chmod(`${file}.bak`, 0o664);
    const { lines, log } = warnings();
    const store = createConfigStore(dir, { log });
    const config = await store.load();
    await store.save(withInterval(config, 11));
    expect(await modeOf(file)).toBe(0o600);
    expect(await modeOf(`${file}.bak`)).toBe(0o600);
    expect(lines).toEqual([
      'pbxctrl-failover.xml (mode 644) and pbxctrl-failover.xml.bak (mode 664) could be read by other users; it holds secrets and is now written with mode 600',
    ]);
    // Widened again by hand: written 0600 again, but the warning is not repeated.
    await fs.chmod(file, 0o644);
    await store.save(withInterval(config, 12));
    expect(await modeOf(file)).toBe(0o600);
    expect(lines).toHaveLength(1);
  });
});
