// The API token: 256 random bits in `<serverdir>/api-token` (or --token-file), created on first
// start readable by the owner only, and checked on every /api/ request except health.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MonitorError, type Identity } from '../shared/api.js';
import { silentLogger, type Logger } from '../core/ports.js';
import { requiredRole, roleAllows } from './roles.js';
import { FILE_TOKEN_NAME, type TokenStore } from './tokens.js';

const TOKEN_FILE_NAME = 'api-token';

// hex (64 chars for 256 bits) or base64url; shorter tokens are refused so a stray or
// truncated file cannot become a guessable password.
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,512}$/;

export function defaultTokenFile(serverdir: string): string {
  return join(serverdir, TOKEN_FILE_NAME);
}

function newToken(): string {
  return randomBytes(32).toString('hex');
}

export interface LoadedToken {
  token: string;
  created: boolean;
  /** Set when the file can be read by group or others: worth a warning at start. */
  looseMode?: number;
}

/** Read the token file, creating it (mode 0600, exclusively) when it does not exist yet. */
export async function loadOrCreateToken(path: string): Promise<LoadedToken> {
  const created = await createTokenFile(path);
  const token = (await readFile(path, 'utf8')).trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error(
      `the token file ${path} does not hold a token (expected at least 32 characters of hex or base64url)`,
    );
  }
  const mode = (await stat(path)).mode & 0o777;
  return (mode & 0o077) !== 0 ? { token, created, looseMode: mode } : { token, created };
}

// Written to a private temporary file and then linked into place, so the token file appears whole
// or not at all: a second start racing this one never reads it half-written.
async function createTokenFile(path: string): Promise<boolean> {
  await assertTokenDirectory(path);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${newToken()}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp);
  }
}

/**
 * The token file's directory must exist: a mistyped --token-file must not silently create a tree of
 * directories (and a token nobody finds).
 */
export async function assertTokenDirectory(path: string): Promise<void> {
  const dir = dirname(path);
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new MonitorError(
      'invalid',
      `the token file's directory ${dir} does not exist; create it or choose another --token-file`,
    );
  }
  if (!isDir) throw new MonitorError('invalid', `the token file's directory ${dir} is not a directory`);
}

// Hashing first gives equal-length inputs, so timingSafeEqual neither throws nor leaks the length.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function tokensMatch(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * An onRequest hook for the scope that holds the protected routes. Scoping by route rather than
 * by URL prefix means no spelling of a path (percent-encoding, odd slashes) can slip past it.
 */
export function tokenGuard(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = bearerToken(request.headers.authorization);
    if (given !== undefined && tokensMatch(token, given)) return;
    reply.header('www-authenticate', 'Bearer');
    // Whoever guesses tokens gets a new connection per guess, and an unread body is not waited for.
    reply.header('connection', 'close');
    throw new MonitorError(
      'unauthorized',
      given === undefined ? 'missing Authorization: Bearer <token> header' : 'wrong API token',
    );
  };
}

/** Who is calling: a named token, or the admin file token (`fileToken`, name "api"). */
export interface Caller extends Identity {
  fileToken: boolean;
}

const callers = new WeakMap<object, Caller>();

/** The caller of a request that passed an ApiAuth guard. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request.raw);
  if (!caller) throw new MonitorError('unauthorized', 'this request was not authenticated');
  return caller;
}

/**
 * The admin file token plus the named tokens of a TokenStore. Each request's role is checked against
 * the route table (roles.ts): beyond it, 403 naming the role it needs. Once a second the store is looked
 * at, and `onRevoked` hears the names that disappeared (their event streams are closed).
 */
export class ApiAuth {
  private readonly adminToken: string;
  private readonly store: TokenStore | undefined;
  private readonly log: Logger;
  private readonly revokedListeners: ((names: string[]) => void)[] = [];
  private readonly changeListeners: ((added: Identity[], removed: string[]) => void)[] = [];
  private poll: NodeJS.Timeout | undefined;
  private flush: NodeJS.Timeout | undefined;
  private known = new Set<string>();
  /** The first read of the file is what there was, not a change. */
  private started = false;

  constructor(adminToken: string, store?: TokenStore, log: Logger = silentLogger) {
    this.adminToken = adminToken;
    this.store = store;
    this.log = log;
  }

  async start(pollMs = 1000, flushMs = 60_000): Promise<void> {
    if (!this.store) return;
    await this.refresh();
    this.poll = setInterval(() => void this.refresh(), pollMs);
    this.poll.unref();
    this.flush = setInterval(() => void this.flushUsed(), flushMs);
    this.flush.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    clearInterval(this.flush);
    await this.flushUsed();
  }

  onRevoked(listener: (names: string[]) => void): void {
    this.revokedListeners.push(listener);
  }

  /** Tokens added or revoked by someone else than this service (the command line), for the audit. */
  onOutsideChange(listener: (added: Identity[], removed: string[]) => void): void {
    this.changeListeners.push(listener);
  }

  /** The caller a bearer token stands for, or undefined. */
  async identify(given: string): Promise<Caller | undefined> {
    if (tokensMatch(this.adminToken, given)) return { name: FILE_TOKEN_NAME, role: 'admin', fileToken: true };
    if (!this.store) return undefined;
    // The file is looked at on every named-token request: a revocation by the command line counts at once.
    await this.refresh();
    const identity = this.store.verify(given);
    return identity ? { ...identity, fileToken: false } : undefined;
  }

  /** An onRequest hook for a scope of protected routes: authenticate, then check the route's role. */
  guard() {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const given = bearerToken(request.headers.authorization);
      const caller = given === undefined ? undefined : await this.identify(given);
      if (!caller) {
        reply.header('www-authenticate', 'Bearer');
        reply.header('connection', 'close');
        throw new MonitorError(
          'unauthorized',
          given === undefined ? 'missing Authorization: Bearer <token> header' : 'wrong API token',
        );
      }
      const need = requiredRole(
        request.method,
        request.routeOptions.url ?? request.url,
        (request.query ?? {}) as Record<string, unknown>,
      );
      if (!roleAllows(caller.role, need)) throw new MonitorError('forbidden', `needs role ${need}`);
      callers.set(request.raw, caller);
    };
  }

  private async refresh(): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.refresh();
    } catch (error) {
      this.log.error('the named tokens file cannot be read; keeping the tokens last read', {
        error: (error as Error).message,
      });
      return;
    }
    const store = this.store;
    const now = store.names();
    const gone = [...this.known].filter((name) => !now.has(name));
    const added = [...now].filter((name) => !this.known.has(name));
    const wasStarted = this.started;
    this.known = now;
    this.started = true;
    if (gone.length > 0) for (const listener of this.revokedListeners) listener(gone);
    if (!wasStarted) return;
    const outsideAdded = store.identities().filter((t) => added.includes(t.name) && !store.takeOwnChange(t.name));
    const outsideGone = gone.filter((name) => !store.takeOwnChange(name));
    if (outsideAdded.length + outsideGone.length === 0) return;
    for (const listener of this.changeListeners) listener(outsideAdded, outsideGone);
  }

  private async flushUsed(): Promise<void> {
    await this.store?.flushUsed().catch((error: unknown) => {
      this.log.warn('could not write when the named tokens were last used', { error: (error as Error).message });
    });
  }
}
