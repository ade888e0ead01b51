// A pair without isolation protection (quorum="0", no validation URL) is allowed only when written so,
// and then says so: in the log at start and in its status (trust issue, item 9).

import { afterEach, describe, expect, it } from 'vitest';
import type { PairStatus } from '../../src/shared/model.js';
import { startTestService, type TestService } from '../helpers/service-harness.js';
import { configWith, minimalPair } from '../helpers/xml-samples.js';

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.dispose();
  svc = undefined;
});

describe('a pair without isolation protection', () => {
  it('is named in a warning at start and in the status', async () => {
    const xml = configWith(
      minimalPair('unprotected').replace(
        '<validation><url>http://203.0.113.1/</url></validation>',
        '<validation quorum="0"/>',
      ),
      minimalPair('safe'),
    );
    svc = await startTestService({ xml });
    expect(
      svc.log.lines
        .filter((l) => l.startsWith('warn') && /no isolation protection/.test(l))
        .map((l) => /pair "(\w+)"/.exec(l)?.[1]),
    ).toEqual(['unprotected']);
    const statuses = await svc.json<PairStatus[]>('/api/pairs');
    expect(statuses.find((p) => p.id === 'unprotected')!.warnings).toEqual([
      expect.stringMatching(/no isolation protection/),
    ]);
    expect(statuses.find((p) => p.id === 'safe')!.warnings).toBeUndefined();
  });
});
