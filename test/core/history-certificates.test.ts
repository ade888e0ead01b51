// Certificate readings are live only: the history keeps their alerts, not the readings.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createHistoryStore } from '../../src/core/history.js';

it('keeps the certificate alert, not the certificates reading', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pfm-history-certs-'));
  const store = createHistoryStore(dir, { autoPrune: false });
  try {
    const at = new Date().toISOString();
    store.record({ type: 'certificates', pair: 'acme', at, certificates: [] });
    store.record({ type: 'alert', pair: 'acme', at, alert: 'certificate', severity: 'critical', message: 'x' });
    await store.flush();
    const h = await store.query('acme', Date.now() - 60_000, Date.now() + 60_000);
    expect(h.events.map((e) => e.type)).toEqual(['alert']);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
