// <serverdir>/pbxctrl-failover.xml as the engine sees it: loaded and validated
// as a whole, written atomically with the last good file kept as .bak, and
// never written over a file that was changed by hand since it was read. The
// file holds secrets: it and its .bak are written readable by the owner only.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MonitorError } from '../shared/api.js';
import type { Problem } from '../shared/model.js';
import { fileMode, removeStaleTemps, writeFileAtomic } from '../node/atomic-file.js';
import { DEFAULT_MAX_BYTES, parseConfigXml, serializeConfigXml, type XmlDocument } from './config-xml.js';
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
}

/** pbxctrl-failover.xml and its .bak hold secrets. */
const FILE_MODE = 0o600;

type FileContent = { kind: 'missing' } | { kind: 'too-large'; bytes: number } | { kind: 'content'; bytes: Buffer };

const MISSING = 'missing';

export function createConfigStore(serverdir: string, opts: ConfigStoreOptions = {}): ConfigStore {
  return new FileConfigStore(
    configPath(serverdir),
    opts.maxBytes ?? DEFAULT_MAX_BYTES,
    opts.log ?? silentLogger,
    opts.beforeReplace,
  );
}

class FileConfigStore implements ConfigStore {
  /** The tree last read or written: unknown elements and attributes are carried over from it. */
  private document: XmlDocument | undefined;
  /** Hash of the file as last read or written; undefined until a successful load. */
  private knownHash: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private warnedAboutMode = false;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly log: Logger,
    private readonly beforeReplace: (() => Promise<void>) | undefined,
  ) {}

  async load(): Promise<FailoverConfig> {
    this.knownHash = undefined;
    this.document = undefined;
    await removeStaleTemps(this.path);
    const content = await readCapped(this.path, this.maxBytes);
    if (content.kind === 'missing') {
      this.knownHash = hashOf(content);
      return { pairs: [] };
    }
    const text = decodeContent(content, this.maxBytes);
    if (typeof text !== 'string') throw invalid([text]);
    // A truncated file (a full disk, a careless `>`) must never read as "no pairs" and remove them all.
    if (text.trim() === '') throw invalid([emptyFileProblem(this.path)]);
    const result = parseConfigXml(text, { maxBytes: this.maxBytes });
    if (!result.ok) throw invalid(result.problems);
    this.document = result.document;
    this.knownHash = hashOf(content);
    return result.config;
  }

  save(config: FailoverConfig): Promise<void> {
    const run = this.queue.then(() => this.write(config));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(config: FailoverConfig): Promise<void> {
    const text = serializeConfigXml(config, this.document ? { base: this.document } : {});
    // What the app writes must read back, or a restart would refuse to start.
    const check = parseConfigXml(text, { maxBytes: this.maxBytes });
    if (!check.ok) throw invalid(check.problems);
    // One read serves the hand-edit check and the backup: the .bak is exactly the file we know.
    const current = await readCapped(this.path, Infinity);
    if (this.changed(current)) throw this.editedByHand();
    const backup =
      current.kind === 'content' && current.bytes.toString('utf8').trim() !== '' ? current.bytes : undefined;
    await this.warnIfReadableByOthers();
    try {
      await fs.mkdir(path.dirname(this.path), { recursive: true });
      await writeFileAtomic(this.path, text, {
        mode: FILE_MODE,
        ...(backup ? { backup: `${this.path}.bak`, backupData: backup } : {}),
        // An edit may land while the new file is being written: look again right before replacing it.
        beforeRename: async () => {
          await this.beforeReplace?.();
          if (await this.changedOnDisk()) throw this.editedByHand();
        },
      });
    } catch (err) {
      if (err instanceof MonitorError) throw err;
      throw fsError(err, 'write', this.path);
    }
    this.document = check.document;
    this.knownHash = hashOf({ kind: 'content', bytes: Buffer.from(text, 'utf8') });
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
    return this.changed(await readCapped(this.path, Infinity));
  }

  private changed(current: FileContent): boolean {
    if (this.knownHash === undefined) return current.kind === 'content' && current.bytes.toString('utf8').trim() !== '';
    return hashOf(current) !== this.knownHash;
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
    const { size } = await handle.stat();
    if (size > maxBytes) return { kind: 'too-large', bytes: size };
    const bytes = await handle.readFile();
    return bytes.length > maxBytes ? { kind: 'too-large', bytes: bytes.length } : { kind: 'content', bytes };
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

function hashOf(content: FileContent): string {
  if (content.kind === 'too-large') return `too-large:${content.bytes}`;
  return content.kind === 'content' ? createHash('sha256').update(content.bytes).digest('hex') : MISSING;
}
