// What most engine tests set up the same way: loopback fixtures and other resources stopped after each
// test (newest first), and the MonitorError a call is expected to throw.

import { afterEach } from 'vitest';
import { MonitorError } from '../../src/shared/api.js';
import { HttpFixture } from './http-fixtures.js';

export interface TestScope {
  /** Stops run after each test, newest first; push what a test starts. */
  cleanups: Array<() => Promise<void>>;
  /** A loopback HTTP server answering `status`, closed after the test. */
  fixture(status?: number): Promise<HttpFixture>;
}

/** Call once at the top of a test file. */
export function perTestScope(): TestScope {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    cleanups,
    async fixture(status = 200) {
      const f = await HttpFixture.start({ status });
      cleanups.push(() => f.close());
      return f;
    },
  };
}

/** The MonitorError `promise` rejects with; anything else (or success) fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<MonitorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MonitorError) return error;
    throw error;
  }
  throw new Error('expected a MonitorError, the call succeeded');
}
