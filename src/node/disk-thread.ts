// Disk work of writeFileAtomic on a thread of its own: writing, fsync, links and renames done
// with the synchronous calls in a worker thread, so that a state write neither blocks the event
// loop nor waits in libuv's thread pool (four threads, shared with every other file operation of
// the process: thousands of history appends a second at 10,000 pairs queue there first).

import { Worker } from 'node:worker_threads';

/** What the thread answers: the new file's stamp for a write, nothing otherwise. */
export type DiskOp =
  | {
      op: 'prepare';
      /** Keep the target as this backup temp by a hard link first, when it is a file with `mode`. */
      link?: { from: string; to: string };
      file: string;
      data: Uint8Array;
      mode: number;
      /** Answer only once the new file's modification time is this many ms in the past (not for whole-second times). */
      settleMs?: number;
    }
  | { op: 'commit'; renames: [string, string][]; syncDir?: string }
  | { op: 'rm'; file: string };

const THREAD = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const stampOf = (s) => ({ dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs });
function link(from, to, mode) {
  const s = fs.lstatSync(from);
  if (!s.isFile() || (s.mode & 0o777) !== mode) return false;
  try {
    fs.linkSync(from, to);
    return true;
  } catch (e) {
    if (e.code === 'ENOENT') throw e;
    return false;
  }
}
function syncDir(dir) {
  let fd;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes(e.code)) throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
function write(file, data, mode) {
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.fchmodSync(fd, mode);
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
    return stampOf(fs.fstatSync(fd, { bigint: true }));
  } finally {
    fs.closeSync(fd);
  }
}
const nap = new Int32Array(new SharedArrayBuffer(4));
function settle(stamp, ms) {
  if (!ms || stamp.mtimeNs % 1000000n === 0n) return;
  const until = Number(stamp.mtimeNs / 1000000n) + 1 + ms;
  for (let left = until - Date.now(); left > 0; left = until - Date.now()) Atomics.wait(nap, 0, 0, left);
}
function run(m) {
  switch (m.op) {
    case 'prepare': {
      const linked = m.link ? link(m.link.from, m.link.to, m.mode) : false;
      const stamp = write(m.file, m.data, m.mode);
      settle(stamp, m.settleMs);
      return { linked, stamp };
    }
    case 'commit':
      for (const [from, to] of m.renames) fs.renameSync(from, to);
      if (m.syncDir !== undefined) syncDir(m.syncDir);
      return undefined;
    case 'rm':
      fs.rmSync(m.file, { force: true });
      return undefined;
  }
}
parentPort.on('message', ({ id, work }) => {
  try {
    parentPort.postMessage({ id, ok: true, value: run(work) });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: { message: e.message, code: e.code, syscall: e.syscall, path: e.path, errno: e.errno } });
  }
});
`;

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: Record<string, unknown> };

let thread: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

function worker(): Worker {
  if (thread) return thread;
  const w = new Worker(THREAD, { eval: true });
  // Never what keeps the process alive: a write in flight is awaited by its caller.
  w.unref();
  w.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(Object.assign(new Error(String(reply.error['message'])), reply.error));
  });
  const fail = (error: Error) => {
    if (thread === w) thread = undefined;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the disk thread stopped (exit code ${code})`)));
  thread = w;
  return w;
}

/** Runs one piece of disk work on the disk thread; errors carry the errno code as fs errors do. */
export function onDiskThread(work: DiskOp): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    worker().postMessage({ id, work });
  });
}
