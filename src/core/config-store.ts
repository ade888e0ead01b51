// <serverdir>/pbxctrl-failover.xml as the engine sees it: loaded and validated
// as a whole, written atomically with the last good file kept as .bak, and
// never written over a file that was changed by hand since it was read. The
// file holds secrets: it and its .bak are written readable by the owner only.
//
// A write that changes only pairs' state (or one pair's settings) is made from the file as last
// written (config-image.ts): only the changed pairs are serialized and read back. Whether the file
// was changed by hand is told by its stamp (device, inode, size, modification time), and by its
// bytes only when the stamp cannot tell: it changed, or the file was written too recently for
// its modification time to tell a later edit apart.

import fs from 'node:fs/promises';
import path from 'node:path';
import { MonitorError } from '../shared/api.js';
import type { Problem } from '../shared/model.js';
import {
  fileMode,
  removeStaleTemps,
  sameStamp,
  stampOf,
  writeFileAtomic,
  type FileStamp,
} from '../node/atomic-file.js';
import {
  DEFAULT_MAX_BYTES,
  buildConfigDocument,
  parseConfigXml,
  serializeConfigXml,
  type XmlDocument,
} from './config-xml.js';
import { ConfigImage } from './config-image.js';
import { writeXml, writeXmlPieces } from './xml-tree.js';
import { describeFsError, errnoCode, fsError } from './fs-errors.js';
import { CONFIG_FILE_NAME, configPath } from './paths.js';
import { silentLogger, type ConfigStore, type FailoverConfig, type Logger, type ParseResult } from './ports.js';

export interface ConfigStoreOptions {
  /** Files larger than this are refused (default 16 MiB). */
  maxBytes?: number;
  /** Where the warning about a file others could read goes. */
  log?: Logger;
  /** Test seam: runs after the hand-edit check, before the new file is renamed into place. */
  beforeReplace?: () => Promise<void>;
  /** Told after each write how it was made: how many pairs were serialized again, or `all` (the full path). */
  onWritten?: (how: { rewritten: number | 'all' }) => void;
}

/** pbxctrl-failover.xml and its .bak hold secrets. */
const FILE_MODE = 0o600;

type FileContent =
  { kind: 'missing' } | { kind: 'too-large'; bytes: number } | { kind: 'content'; bytes: Buffer; stamp: FileStamp };

/** The file as last read or written: missing, or these bytes with this stamp. */
type KnownFile = { kind: 'missing' } | { kind: 'content'; bytes: Buffer; stamp: FileStamp; racy: boolean };

export function createConfigStore(serverdir: string, opts: ConfigStoreOptions = {}): ConfigStore {
  return new FileConfigStore(
    configPath(serverdir),
    opts.maxBytes ?? DEFAULT_MAX_BYTES,
    opts.log ?? silentLogger,
    opts.beforeReplace,
    opts.onWritten,
  );
}

class FileConfigStore implements ConfigStore {
  /** The tree last read or written: unknown elements and attributes are carried over from it. */
  private document: XmlDocument | undefined;
  /** The file as last read or written; undefined until a successful load. */
  private known: KnownFile | undefined;
  /** The file as last written (or read, when it is what the app would write), in pieces. */
  private image: ConfigImage | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private warnedAboutMode = false;
  /** Event-loop time of the last write made from the image, and of the last full one. */
  private imageWriteMs = 0;
  private fullWriteMs = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly log: Logger,
    private readonly beforeReplace: (() => Promise<void>) | undefined,
    private readonly onWritten: ConfigStoreOptions['onWritten'],
  ) {}

  async load(): Promise<FailoverConfig> {
    this.known = undefined;
    this.document = undefined;
    this.image = undefined;
    await removeStaleTemps(this.path);
    const content = await readCapped(this.path, this.maxBytes);
    if (content.kind === 'missing') {
      this.known = { kind: 'missing' };
      return { pairs: [] };
    }
    const text = decodeContent(content, this.maxBytes);
    if (typeof text !== 'string') throw invalid([text]);
    // A truncated file (a full disk, a careless `>`) must never read as "no pairs" and remove them all.
    if (text.trim() === '') throw invalid([emptyFileProblem(this.path)]);
    const result = parseConfigXml(text, { maxBytes: this.maxBytes });
    if (!result.ok) throw invalid(result.problems);
    this.document = result.document;
    if (content.kind !== 'content') throw new Error('unreachable');
    this.known = { kind: 'content', bytes: content.bytes, stamp: content.stamp, racy: isRacy(content.stamp) };
    this.image = this.imageAtLoad(result.config, result.document, text, content.bytes);
    return result.config;
  }

  /**
   * The pieces of the file the next write would make from what was loaded, so that even the first
   * state write rewrites only what changed. A file exactly as the app writes it is its own image;
   * another (written by hand or by a tool) is serialized and read back here, as the first write
   * would do, before any check runs rather than in the middle of them.
   */
  private imageAtLoad(
    config: FailoverConfig,
    loaded: XmlDocument,
    text: string,
    bytes: Buffer,
  ): ConfigImage | undefined {
    const pieces = writeXmlPieces(buildConfigDocument(config, { base: loaded }));
    if (!pieces) return undefined;
    const written = pieces.head + pieces.children.join('') + pieces.tail;
    if (written === text) return ConfigImage.of(loaded, config, pieces, bytes);
    const check = parseConfigXml(written, { maxBytes: this.maxBytes });
    // Not readable back: the first write takes the full path and says why.
    if (!check.ok) return undefined;
    const image = ConfigImage.of(check.document, config, pieces, Buffer.from(written, 'utf8'));
    if (image) this.document = check.document;
    return image;
  }

  save(config: FailoverConfig): Promise<void> {
    const run = this.queue.then(() => this.write(config));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(config: FailoverConfig): Promise<void> {
    const prepared = await this.prepare(config);
    if (await this.changedOnDisk()) throw this.editedByHand();
    await this.warnIfReadableByOthers();
    // The .bak is exactly the file we know: a second name for it (it is on disk already), made
    // before the hand-edit check right before the rename.
    const backup = this.known?.kind === 'content';
    let stamp: FileStamp;
    try {
      // The serverdir is there when the file we know is.
      if (!backup) await fs.mkdir(path.dirname(this.path), { recursive: true });
      stamp = await writeFileAtomic(this.path, prepared.bytes, {
        mode: FILE_MODE,
        // Not behind the history's appends in the thread pool; past the clock's tick there, not on a timer here.
        diskThread: true,
        settleMs: RACY_MS + 2,
        ...(backup ? { backup: `${this.path}.bak`, backupByLink: true } : {}),
        // An edit may land while the new file is being written: look again right before replacing it.
        beforeRename: async (written) => {
          await pastItsTick(written);
          await this.beforeReplace?.();
          if (await this.changedOnDisk()) throw this.editedByHand();
        },
      });
    } catch (err) {
      if (err instanceof MonitorError) throw err;
      throw fsError(err, 'write', this.path);
    }
    prepared.commit();
    this.known = { kind: 'content', bytes: prepared.bytes, stamp, racy: isRacy(stamp) };
    this.onWritten?.({ rewritten: prepared.rewritten ?? 'all' });
  }

  get expectedWriteLoopMs(): number {
    return this.image ? this.imageWriteMs : this.fullWriteMs;
  }

  /** The file from the image when only pairs' settings or state changed; undefined otherwise. */
  /** The new file: from the image when only pairs' settings or state changed, else the whole file serialized. */
  private async prepare(config: FailoverConfig): Promise<{ bytes: Buffer; commit: () => void; rewritten?: number }> {
    const fromImage =
      this.image && this.document ? await this.image.write(config, this.document, this.maxBytes) : undefined;
    if (fromImage) {
      this.imageWriteMs = fromImage.loopMs;
      return fromImage;
    }
    const started = performance.now();
    try {
      return this.prepareFull(config);
    } finally {
      this.fullWriteMs = performance.now() - started;
    }
  }

  /** The whole file serialized and read back. */
  private prepareFull(config: FailoverConfig): { bytes: Buffer; commit: () => void } {
    const built = buildConfigDocument(config, this.document ? { base: this.document } : {});
    const pieces = writeXmlPieces(built);
    const text = pieces ? pieces.head + pieces.children.join('') + pieces.tail : writeXml(built);
    // What the app writes must read back, or a restart would refuse to start.
    const check = parseConfigXml(text, { maxBytes: this.maxBytes });
    if (!check.ok) throw invalid(check.problems);
    const bytes = Buffer.from(text, 'utf8');
    return {
      bytes,
      commit: () => {
        this.document = check.document;
        this.image = pieces ? ConfigImage.of(check.document, config, pieces, bytes) : undefined;
      },
    };
  }

  parse(xml: string, opts: Parameters<ConfigStore['parse']>[1] = {}): ParseResult {
    const result = parseConfigXml(xml, {
      maxBytes: this.maxBytes,
      ...(opts.existing ? { existing: opts.existing } : {}),
      ...(opts.existingNotify ? { existingNotify: opts.existingNotify } : {}),
    });
    return result.ok ? { ok: true, config: result.config } : result;
  }

  serialize(config: FailoverConfig, opts: { masked?: boolean } = {}): string {
    return serializeConfigXml(config, { ...opts, ...(this.document ? { base: this.document } : {}) });
  }

  async changedOnDisk(): Promise<boolean> {
    const known = this.known;
    const stamp = await stampOrFail(this.path);
    if (known === undefined) {
      if (!stamp) return false;
      const current = await readCapped(this.path, Infinity);
      return current.kind === 'content' && current.bytes.toString('utf8').trim() !== '';
    }
    if (known.kind === 'missing') return stamp !== undefined;
    if (!stamp) return true;
    if (!known.racy && sameStamp(stamp, known.stamp)) return false;
    if (stamp.size !== BigInt(known.bytes.length)) return true;
    // The stamp cannot tell: compare the bytes (touched, or written within the clock's resolution).
    const current = await readCapped(this.path, known.bytes.length);
    if (current.kind !== 'content' || !current.bytes.equals(known.bytes)) return true;
    if (this.known === known) {
      known.stamp = stamp;
      known.racy = isRacy(stamp);
    }
    return false;
  }

  private editedByHand(): MonitorError {
    return new MonitorError(
      'conflict',
      `${path.basename(this.path)} was changed by hand since it was read; not overwriting it`,
    );
  }

  /** Once per store: a file others could read had its secrets exposed until now. */
  private async warnIfReadableByOthers(): Promise<void> {
    if (this.warnedAboutMode) return;
    const files = [this.path, `${this.path}.bak`];
    const modes = await Promise.all(files.map(async (file) => ({ file, mode: await fileMode(file) })));
    const loose = modes.filter((e) => e.mode !== undefined && (e.mode & 0o077) !== 0);
    if (loose.length === 0) return;
    this.warnedAboutMode = true;
    this.log.warn(
      `${loose.map((e) => `${path.basename(e.file)} (mode ${e.mode!.toString(8)})`).join(' and ')} could be read by other users; it holds secrets and is now written with mode 600`,
      { files: loose.map((e) => e.file) },
    );
  }
}

/** Read and validate any pbxctrl-failover.xml (for `validate <file>` and imports from disk). */
export async function readConfigFile(file: string, opts: ConfigStoreOptions = {}): Promise<ParseResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let content: FileContent;
  try {
    content = await readCapped(file, maxBytes);
  } catch (err) {
    return {
      ok: false,
      problems: [{ field: 'file', message: err instanceof MonitorError ? err.message : String(err) }],
    };
  }
  if (content.kind === 'missing')
    return { ok: false, problems: [{ field: 'file', message: `${file} does not exist` }] };
  const text = decodeContent(content, maxBytes);
  if (typeof text !== 'string') return { ok: false, problems: [text] };
  if (text.trim() === '') return { ok: false, problems: [emptyFileProblem(file)] };
  const result = parseConfigXml(text, { maxBytes });
  return result.ok ? { ok: true, config: result.config } : result;
}

function emptyFileProblem(file: string): Problem {
  return {
    field: 'file',
    message: `${file} is empty, not a configuration: restore it (for example from the .bak beside it) or delete it to start with no pairs`,
  };
}

function invalid(problems: Problem[]): MonitorError {
  const n = problems.length;
  return new MonitorError('invalid', `${CONFIG_FILE_NAME}: ${n} problem${n === 1 ? '' : 's'}`, problems);
}

/** The file's bytes, without reading a file over the limit into memory. */
async function readCapped(file: string, maxBytes: number): Promise<FileContent> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'missing' };
    throw fsError(err, 'read', file);
  }
  try {
    const stat = await handle.stat({ bigint: true });
    const size = Number(stat.size);
    if (size > maxBytes) return { kind: 'too-large', bytes: size };
    const bytes = await handle.readFile();
    const stamp = { dev: stat.dev, ino: stat.ino, size: stat.size, mtimeNs: stat.mtimeNs };
    return bytes.length > maxBytes ? { kind: 'too-large', bytes: bytes.length } : { kind: 'content', bytes, stamp };
  } catch (err) {
    throw new MonitorError('internal', describeFsError(err, 'read', file));
  } finally {
    await handle.close();
  }
}

function decodeContent(content: FileContent, maxBytes: number): string | Problem {
  if (content.kind === 'missing') return '';
  if (content.kind === 'too-large') {
    return { field: 'file', message: `the file is ${mib(content.bytes)}; files over ${mib(maxBytes)} are refused` };
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content.bytes);
  } catch {
    return { field: 'file', message: 'is not valid UTF-8 text' };
  }
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`
    : `${Math.round((bytes / 1024) * 10) / 10} KiB`;
}

/** The file's stamp now (undefined when it is missing); a failure to look is said in words. */
async function stampOrFail(file: string): Promise<FileStamp | undefined> {
  try {
    return await stampOf(file);
  } catch (err) {
    throw fsError(err, 'read', file);
  }
}

/**
 * File times come from the kernel's coarse clock (one tick is at most 10 ms), or are whole (or
 * even) seconds on some file systems. Within RACY_MS of a file's modification time (RACY_COARSE_MS
 * for whole-second times) an edit could leave it with the same time.
 */
const RACY_MS = 20;
const RACY_COARSE_MS = 2_500;

function coarseTimes(stamp: FileStamp): boolean {
  return stamp.mtimeNs % 1_000_000n === 0n;
}

/**
 * True while an edit made now could leave the file with the same stamp as `stamp` (same size,
 * written within the same tick of the file system's clock): its bytes must be compared then.
 */
function isRacy(stamp: FileStamp): boolean {
  const windowNs = BigInt(coarseTimes(stamp) ? RACY_COARSE_MS : RACY_MS) * 1_000_000n;
  return BigInt(Date.now()) * 1_000_000n - stamp.mtimeNs < windowNs;
}

/**
 * Waits (a few ms at most, on a timer) until a new file's modification time is out of the racy
 * window, before it is renamed into place: an edit after the rename then always changes the stamp,
 * and the next hand-edit check needs no read. Not on file systems with whole-second times.
 */
async function pastItsTick(stamp: FileStamp): Promise<void> {
  if (coarseTimes(stamp)) return;
  const waitMs = RACY_MS - Number(BigInt(Date.now()) * 1_000_000n - stamp.mtimeNs) / 1e6 + 1;
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, RACY_MS + 1)));
}
