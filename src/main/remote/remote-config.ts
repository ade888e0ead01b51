// Remote mode's settings in the app's userData: the service's addresses and the token, the token
// encrypted by the OS (Electron safeStorage, passed in as a TokenCipher so this file stays plain
// Node). One JSON file, written atomically with mode 0600; without OS encryption nothing is stored.

import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../node/atomic-file.js';
import { MonitorError } from '../../shared/api.js';
import { TOKEN_PATTERN, checkServiceUrls } from '../../shared/remote.js';

export const REMOTE_FILE = 'remote.json';

/** The part of Electron's safeStorage used here. */
export interface TokenCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export interface RemoteTarget {
  urls: string[];
  token: string;
}

/** What the file holds: the token only as the OS-encrypted blob, base64. */
interface StoredRemote {
  urls: string[];
  encryptedToken: string;
}

export const NO_ENCRYPTION =
  'This system cannot encrypt the token (no OS keychain or secret service), so it was not stored. Start the app with --remote URL --token-file FILE instead.';

/** A token as the service accepts it, or a MonitorError naming the field. */
export function checkToken(token: string, field = 'token'): string {
  const t = token.trim();
  if (!TOKEN_PATTERN.test(t)) {
    throw new MonitorError('invalid', 'The token is not valid.', [
      { field, message: 'must be the token the service gave (32 to 512 letters, digits, - or _)' },
    ]);
  }
  return t;
}

/** The addresses and token to attach to, checked, or MonitorError('invalid') naming the field. */
export function checkTarget(urls: readonly string[], token: string): RemoteTarget {
  const checked = checkServiceUrls(urls);
  if (!checked.ok) throw new MonitorError('invalid', checked.message, [{ field: 'urls', message: checked.message }]);
  return { urls: checked.urls, token: checkToken(token) };
}

export class RemoteConfigStore {
  readonly path: string;

  constructor(
    dir: string,
    private readonly cipher: TokenCipher,
  ) {
    this.path = join(dir, REMOTE_FILE);
  }

  get canStore(): boolean {
    try {
      return this.cipher.isEncryptionAvailable();
    } catch {
      return false;
    }
  }

  /** The stored addresses and token; undefined when none are stored. A broken file is an error saying so. */
  async load(): Promise<RemoteTarget | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let stored: StoredRemote;
    try {
      stored = JSON.parse(text) as StoredRemote;
      if (!Array.isArray(stored.urls) || typeof stored.encryptedToken !== 'string') throw new Error('bad shape');
    } catch {
      throw new Error(`${this.path} is not a remote-mode file; delete it to start in local mode`);
    }
    if (!this.canStore) throw new Error(`the token in ${this.path} cannot be decrypted: ${NO_ENCRYPTION}`);
    let token: string;
    try {
      token = this.cipher.decryptString(Buffer.from(stored.encryptedToken, 'base64'));
    } catch (err) {
      throw new Error(`the token in ${this.path} cannot be decrypted (${(err as Error).message})`, { cause: err });
    }
    return checkTarget(stored.urls, token);
  }

  /** Stores the addresses and the encrypted token; refuses (nothing written) without OS encryption. */
  async save(target: RemoteTarget): Promise<void> {
    const checked = checkTarget(target.urls, target.token);
    if (!this.canStore) throw new MonitorError('invalid', NO_ENCRYPTION, [{ field: 'token', message: NO_ENCRYPTION }]);
    const stored: StoredRemote = {
      urls: checked.urls,
      encryptedToken: this.cipher.encryptString(checked.token).toString('base64'),
    };
    await writeFileAtomic(this.path, `${JSON.stringify(stored, null, 2)}\n`, { createDirectory: true });
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** `--token-file FILE`: the token on its first line. */
export async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`--token-file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      cause: err,
    });
  }
  try {
    return checkToken(text.split(/\r?\n/, 1)[0] ?? '', '--token-file');
  } catch {
    throw new Error(`--token-file ${path} does not hold a token (32 to 512 letters, digits, - or _ on its first line)`);
  }
}
