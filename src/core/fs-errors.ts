// File-system failures in the operator's words: which file, what went wrong,
// what to do. Used by everything that writes into the serverdir.

import { MonitorError } from '../shared/api.js';

const EXPLANATIONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** "cannot write /srv/x/pbxctrl-failover.lock: the disk is full (ENOSPC)" */
export function describeFsError(err: unknown, doing: string, file: string): string {
  return `cannot ${doing} ${file}: ${explainFsError(err)}`;
}

/** "the disk is full (ENOSPC)" */
export function explainFsError(err: unknown): string {
  const code = errnoCode(err);
  return code && EXPLANATIONS[code]
    ? `${EXPLANATIONS[code]} (${code})`
    : err instanceof Error
      ? err.message
      : String(err);
}

export function fsError(err: unknown, doing: string, file: string): MonitorError {
  const error = new MonitorError('internal', describeFsError(err, doing, file));
  (error as { cause?: unknown }).cause = err;
  return error;
}

/** The words of any thrown value: an Error's message, or the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
