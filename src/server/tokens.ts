// Named API tokens with roles, kept in `<serverdir>/api-tokens.json` (mode 0600, written atomically):
// only the sha-256 of each token is stored, so the file cannot be used to call the API. The command
// line (`pbx-failover-monitor token …`) and `/api/tokens` both change it; the running service notices
// a change by the file's identity (inode, size, mtime), looked at on every named-token request and once
// a second, so a revocation takes effect at once. "Last used" is kept in memory and written to its own
// file (`api-tokens-used.json`) at most once a minute, so a request never costs a write and the service
// never rewrites the file the command line edits.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../node/atomic-file.js';
import { MonitorError, ROLES, type Identity, type Role } from '../shared/api.js';

export const TOKENS_FILE_NAME = 'api-tokens.json';
export const LAST_USED_FILE_NAME = 'api-tokens-used.json';
/** The name the admin file token (`<serverdir>/api-token`) goes by; no named token may take it. */
export const FILE_TOKEN_NAME = 'api';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

interface StoredToken {
  name: string;
  role: Role;
  /** hex sha-256 of the token */
  hash: string;
  /** ISO 8601 */
  created: string;
}

interface TokensFile {
  version: 1;
  tokens: StoredToken[];
}

/** What `token list` and GET /api/tokens show: never the token, never its hash. */
export interface TokenInfo {
  name: string;
  role: Role;
  created: string;
  lastUsed?: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function checkTokenName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new MonitorError(
      'invalid',
      'a token name is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
      [{ field: 'name', message: 'must be 1-64 of A-Z a-z 0-9 . _ @ -, starting with a letter or digit' }],
    );
  }
  if (name === FILE_TOKEN_NAME) {
    throw new MonitorError('invalid', `"${FILE_TOKEN_NAME}" is the name of the admin file token; choose another`, [
      { field: 'name', message: `"${FILE_TOKEN_NAME}" is taken by the admin file token` },
    ]);
  }
  return name;
}

export function checkRole(role: unknown): Role {
  if (typeof role === 'string' && (ROLES as readonly string[]).includes(role)) return role as Role;
  throw new MonitorError('invalid', `the role must be one of ${ROLES.join(', ')}`, [
    { field: 'role', message: `must be one of ${ROLES.join(', ')}` },
  ]);
}

export class TokenStore {
  readonly path: string;
  readonly usedPath: string;
  private tokens: StoredToken[] = [];
  private seen = '';
  private readonly lastUsed = new Map<string, number>();
  /** Names this process added or revoked (its caller audits them), not yet taken by `takeOwnChanges`. */
  private readonly own = new Set<string>();
  private usedDirty = false;

  constructor(serverdir: string) {
    this.path = join(serverdir, TOKENS_FILE_NAME);
    this.usedPath = join(serverdir, LAST_USED_FILE_NAME);
  }

  /** Reads the file when it changed since the last look; true when it did. */
  async refresh(): Promise<boolean> {
    const identity = await fileIdentity(this.path);
    if (identity === this.seen) return false;
    const tokens = identity === '' ? [] : await readTokens(this.path);
    this.seen = identity;
    this.tokens = tokens;
    return true;
  }

  /** Whether this process made the last change of this name (and forget it). */
  takeOwnChange(name: string): boolean {
    return this.own.delete(name);
  }

  identities(): Identity[] {
    return this.tokens.map((t) => ({ name: t.name, role: t.role }));
  }

  names(): Set<string> {
    return new Set(this.tokens.map((t) => t.name));
  }

  /** The identity of a token, or undefined; every stored hash is compared in constant time. */
  verify(token: string): Identity | undefined {
    const given = Buffer.from(hashToken(token), 'hex');
    let found: StoredToken | undefined;
    for (const t of this.tokens) if (timingSafeEqual(Buffer.from(t.hash, 'hex'), given)) found = t;
    if (!found) return undefined;
    this.lastUsed.set(found.hash, Date.now());
    this.usedDirty = true;
    return { name: found.name, role: found.role };
  }

  async add(name: string, role: Role, now = Date.now()): Promise<{ token: string; info: TokenInfo }> {
    checkTokenName(name);
    checkRole(role);
    await this.refresh();
    if (this.tokens.some((t) => t.name === name)) {
      throw new MonitorError(
        'conflict',
        `a token named "${name}" exists already; revoke it first or choose another name`,
      );
    }
    const token = randomBytes(32).toString('hex');
    const stored: StoredToken = { name, role, hash: hashToken(token), created: new Date(now).toISOString() };
    this.own.add(name);
    await this.write([...this.tokens, stored]);
    return { token, info: { name, role, created: stored.created } };
  }

  async revoke(name: string): Promise<void> {
    await this.refresh();
    if (!this.tokens.some((t) => t.name === name))
      throw new MonitorError('not-found', `there is no token named "${name}"`);
    this.own.add(name);
    await this.write(this.tokens.filter((t) => t.name !== name));
  }

  async list(): Promise<TokenInfo[]> {
    await this.refresh();
    const used = await this.readUsed();
    return this.tokens.map((t) => {
      const ms = Math.max(this.lastUsed.get(t.hash) ?? 0, used[t.hash.slice(0, 16)] ?? 0);
      return {
        name: t.name,
        role: t.role,
        created: t.created,
        ...(ms > 0 ? { lastUsed: new Date(ms).toISOString() } : {}),
      };
    });
  }

  /** Writes "last used" when it changed since the last write (the service calls this once a minute and at close). */
  async flushUsed(): Promise<void> {
    if (!this.usedDirty) return;
    this.usedDirty = false;
    const used = await this.readUsed();
    const live = new Set(this.tokens.map((t) => t.hash.slice(0, 16)));
    for (const key of Object.keys(used)) if (!live.has(key)) delete used[key];
    for (const [hash, ms] of this.lastUsed) used[hash.slice(0, 16)] = ms;
    await writeFileAtomic(this.usedPath, `${JSON.stringify(used)}\n`, { mode: 0o600, syncDirectory: false });
  }

  private async readUsed(): Promise<Record<string, number>> {
    try {
      const parsed = JSON.parse(await readFile(this.usedPath, 'utf8')) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, number>) : {};
    } catch {
      return {};
    }
  }

  private async write(tokens: StoredToken[]): Promise<void> {
    const file: TokensFile = { version: 1, tokens };
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await this.refresh();
  }
}

async function fileIdentity(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

async function readTokens(path: string): Promise<StoredToken[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new MonitorError('invalid', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const list = (parsed as Partial<TokensFile>)?.tokens;
  if (!Array.isArray(list)) throw new MonitorError('invalid', `${path} has no "tokens" list`);
  return list.filter(
    (t): t is StoredToken =>
      typeof t?.name === 'string' &&
      typeof t.hash === 'string' &&
      /^[0-9a-f]{64}$/.test(t.hash) &&
      (ROLES as readonly string[]).includes(t.role) &&
      typeof t.created === 'string',
  );
}
