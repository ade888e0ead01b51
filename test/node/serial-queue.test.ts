// Work queued on one SerialQueue runs one piece at a time, in order, and a failure stays with its caller.

import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/node/serial-queue.js';

/** A promise the test settles by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('SerialQueue', () => {
  it('starts a piece of work only once the one before it has settled, in the order queued', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const first = gate();
    const a = q.run(async () => {
      log.push('a starts');
      await first.promise;
      log.push('a ends');
      return 'a';
    });
    const b = q.run(async () => {
      log.push('b runs');
      return 'b';
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['a starts']);
    first.open();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(log).toEqual(['a starts', 'a ends', 'b runs']);
  });

  it('fails only the caller whose work failed; the next one still runs', async () => {
    const q = new SerialQueue();
    const failed = q.run(async () => {
      throw new Error('disk full');
    });
    const next = q.run(async () => 42);
    await expect(failed).rejects.toThrow('disk full');
    expect(await next).toBe(42);
  });

  it('idle() waits for everything queued so far and never rejects', async () => {
    const q = new SerialQueue();
    const g = gate();
    let done = false;
    void q
      .run(async () => {
        await g.promise;
        done = true;
        throw new Error('late failure');
      })
      .catch(() => undefined);
    const idle = q.idle().then(() => done);
    g.open();
    expect(await idle).toBe(true);
  });
});
