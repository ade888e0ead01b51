// pbxctrl-failover.xml as this store last wrote it, kept in pieces so that a state change rewrites
// only the pairs that changed. The bytes are the file; each child of the root (a <pair>, <notify>,
// a comment…) is a slice of them. A write whose pairs are the same ones as last time (same ids,
// the maintenance windows, channels and policy unchanged) re-serializes only the pairs whose
// settings object or persisted state differ, reads just those back, and joins the rest from the
// slices: byte for byte what serializeConfigXml would write, without serializing or parsing the
// whole file on the event loop. Anything else (a pair added or removed, a window or a channel
// edited, the first write after a load of a file the app did not write) takes the full path.

import { MonitorError } from '../shared/api.js';
import type { PairSettings, Problem } from '../shared/model.js';
import { CONFIG_FILE_NAME } from './paths.js';
import type { FailoverConfig, PersistedState } from './ports.js';
import { checkPersistedOf, pairElement, parsePairFragment } from './config-xml.js';
import { attr, writeRootChild, type XmlDocument, type XmlElement } from './xml-tree.js';

/** What a pair's element was written from: its settings object and its persisted state then. */
interface PairSlot {
  /** Index of the pair's slice among the root's children that are not text. */
  readonly segment: number;
  /** Index of the pair's element in document.root.children. */
  readonly node: number;
  settings: PairSettings;
  persisted: PersistedKey | undefined;
  /** The write that last saw this pair in the configuration (each pair once per write). */
  seen: number;
}

/** A persisted state as plain values, so that a later change of the live objects cannot alter it. */
interface PersistedKey {
  state: string;
  since: string;
  reason: string | undefined;
  primaryAnswered: boolean | undefined;
  pausedBy: string | undefined;
  action: string | undefined;
}

/** A write made from the image: the new file, and what to remember once it is on disk. */
export interface ImageWrite {
  bytes: Buffer;
  /** How many pairs were serialized again. */
  rewritten: number;
  /** Event-loop time it took, in turns of at most about SLICE_MS. */
  loopMs: number;
  /** The write is on disk: the image and the document become the new file's. */
  commit: () => void;
}

/** A write of many changed pairs yields to the event loop after about this much work... */
const SLICE_MS = 15;
/**
 * ...or after this share of the time the loop took to come back to it, when that is more: on a
 * loop running late (thousands of checks due at once), 15 ms per turn would starve the write (a turn
 * of 1 s gives it 1.5%: a minute for 10,000 changed pairs). A write then takes about 1/5 of the loop
 * and is on disk within about five times its own work, however late the loop runs.
 */
const SLICE_SHARE_OF_TURN = 0.25;

export class ConfigImage {
  private writes = 0;

  private constructor(
    /** The whole file. */
    private bytes: Buffer,
    private head: Buffer,
    private segments: Buffer[],
    private tail: Buffer,
    private readonly slots: Map<string, PairSlot>,
    /** The file has <maintenance> elements. */
    private readonly fileHasWindows: boolean,
    /** The maintenance windows, channels and policy the file was written with. */
    private readonly envelope: string,
  ) {}

  /** The file's bytes as written. */
  get file(): Buffer {
    return this.bytes;
  }

  /**
   * The image of a file written from `config`: `pieces` are writeXmlPieces of what was written,
   * `file` its bytes, and `document` the tree the file reads back as. Undefined when they do not
   * match (the image is then not used; every write takes the full path).
   */
  static of(
    document: XmlDocument,
    config: FailoverConfig,
    pieces: { head: string; children: string[]; tail: string },
    file: Buffer,
  ): ConfigImage | undefined {
    const nodes: number[] = [];
    document.root.children.forEach((c, i) => {
      if (c.type !== 'text') nodes.push(i);
    });
    if (nodes.length !== pieces.children.length) return undefined;
    const records = new Map(config.pairs.map((r) => [r.settings.id, r]));
    const slots = new Map<string, PairSlot>();
    let offset = Buffer.byteLength(pieces.head, 'utf8');
    const head = file.subarray(0, offset);
    const segments: Buffer[] = [];
    for (let segment = 0; segment < pieces.children.length; segment++) {
      const length = Buffer.byteLength(pieces.children[segment]!, 'utf8');
      segments.push(file.subarray(offset, offset + length));
      offset += length;
      const node = nodes[segment]!;
      const el = document.root.children[node]!;
      if (el.type !== 'element' || el.name !== 'pair') continue;
      const id = attr(el, 'id');
      const record = id === undefined ? undefined : records.get(id);
      if (id === undefined || !record || slots.has(id)) return undefined;
      slots.set(id, { segment, node, settings: record.settings, persisted: keyOf(record.persisted), seen: 0 });
    }
    if (slots.size !== records.size || offset + Buffer.byteLength(pieces.tail, 'utf8') !== file.length) {
      return undefined;
    }
    const windows = document.root.children.some((c) => c.type === 'element' && c.name === 'maintenance');
    return new ConfigImage(file, head, segments, file.subarray(offset), slots, windows, envelopeOf(config, windows));
  }

  /**
   * The file for `config` made from the image, or undefined when it cannot be (the full path then).
   * Throws MonitorError('invalid') when a rewritten pair would not read back, writing nothing.
   * `document` is the tree of the file as last written; commit() puts the rewritten pairs into it.
   */
  async write(config: FailoverConfig, document: XmlDocument, maxBytes: number): Promise<ImageWrite | undefined> {
    let sliceStart = performance.now();
    let sliceMs = SLICE_MS;
    let loopMs = 0;
    if (config.pairs.length !== this.slots.size || envelopeOf(config, this.fileHasWindows) !== this.envelope)
      return undefined;
    const write = ++this.writes;
    const changed: {
      slot: PairSlot;
      bytes: Buffer;
      element: XmlElement;
      settings: PairSettings;
      key?: PersistedKey;
    }[] = [];
    for (const [i, record] of config.pairs.entries()) {
      // Thousands of pairs changed at once (all of them starting -> waiting) take turns with the checks.
      if (i % 64 === 63 && performance.now() - sliceStart > sliceMs) {
        const yielded = performance.now();
        loopMs += yielded - sliceStart;
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
        sliceMs = Math.max(SLICE_MS, (sliceStart - yielded) * SLICE_SHARE_OF_TURN);
      }
      const slot = this.slots.get(record.settings.id);
      if (!slot || slot.seen === write) return undefined;
      slot.seen = write;
      if (slot.settings === record.settings && samePersisted(slot.persisted, record.persisted)) continue;
      const base = document.root.children[slot.node];
      if (base?.type !== 'element') return undefined;
      const fresh = pairElement(record, base);
      const text = writeRootChild(fresh);
      // What the app writes must read back, or a restart would refuse to start: this pair's part of
      // it. Only its state when only its state changed (the settings were written from the same
      // object over the same pair, and read back, before); the whole pair when its settings changed.
      let element: XmlElement = fresh;
      if (slot.settings === record.settings) {
        const problems = checkPersistedOf(fresh, text);
        if (problems.length > 0) throw invalid(problems);
      } else {
        const check = parsePairFragment(text);
        if (!check.ok) throw invalid(check.problems);
        element = check.element;
      }
      const key = keyOf(record.persisted);
      changed.push({
        slot,
        bytes: Buffer.from(`${text}\n`, 'utf8'),
        element,
        settings: record.settings,
        ...(key ? { key } : {}),
      });
    }
    const segments = this.segments.slice();
    for (const c of changed) segments[c.slot.segment] = c.bytes;
    const parts = [this.head, ...segments, this.tail];
    const length = parts.reduce((n, b) => n + b.length, 0);
    if (length > maxBytes) {
      throw invalid([
        { field: 'file', message: `the file would be ${length} bytes; files over ${maxBytes} are refused` },
      ]);
    }
    const bytes = Buffer.concat(parts, length);
    loopMs += performance.now() - sliceStart;
    return {
      bytes,
      rewritten: changed.length,
      loopMs,
      commit: () => {
        // Every piece a slice of the new file, so that the old one can go.
        let offset = this.head.length;
        this.head = bytes.subarray(0, offset);
        this.segments = segments.map((s) => {
          const slice = bytes.subarray(offset, offset + s.length);
          offset += s.length;
          return slice;
        });
        this.tail = bytes.subarray(offset);
        this.bytes = bytes;
        for (const c of changed) {
          c.slot.settings = c.settings;
          c.slot.persisted = c.key;
          document.root.children[c.slot.node] = c.element;
        }
      },
    };
  }
}

function keyOf(p: PersistedState | undefined): PersistedKey | undefined {
  if (!p) return undefined;
  return {
    state: p.state,
    since: p.since,
    reason: p.reason,
    primaryAnswered: p.primaryAnswered,
    pausedBy: p.pausedBy,
    action: p.action ? JSON.stringify(p.action) : undefined,
  };
}

function samePersisted(key: PersistedKey | undefined, p: PersistedState | undefined): boolean {
  if (!key || !p) return key === undefined && p === undefined;
  return (
    key.state === p.state &&
    key.since === p.since &&
    key.reason === p.reason &&
    key.primaryAnswered === p.primaryAnswered &&
    key.pausedBy === p.pausedBy &&
    key.action === (p.action ? JSON.stringify(p.action) : undefined)
  );
}

/**
 * Everything of the configuration that is written outside the pairs. No channels and none given
 * are written alike; so are no windows and none given when the file has no <maintenance>.
 */
function envelopeOf(config: FailoverConfig, fileHasWindows: boolean): string {
  const windows = config.maintenance?.length === 0 && !fileHasWindows ? undefined : config.maintenance;
  const channels = config.notify?.length === 0 ? undefined : config.notify;
  return JSON.stringify([windows ?? null, channels ?? null, config.policy ?? null]);
}

function invalid(problems: Problem[]): MonitorError {
  const n = problems.length;
  return new MonitorError('invalid', `${CONFIG_FILE_NAME}: ${n} problem${n === 1 ? '' : 's'}`, problems);
}
