// The cluster panel: shown only for a node of a cluster (its health says so, and only then is the
// backend's cluster() asked), naming the
// node this dashboard talks to, the leader and term, and every live node's view; "no leader" when none.

import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import ClusterPanel from '../../src/renderer/src/lib/components/ClusterPanel.svelte';
import type { ClusterInfo } from '$shared/cluster';
import { MemoryBackend } from './memory-backend';

let backend: MemoryBackend & { cluster?: () => Promise<ClusterInfo | undefined> };
let app: AppState;

beforeEach(() => {
  localStorage.clear();
  backend = new MemoryBackend();
  app = new AppState(backend, (run) => run(), 0);
});

afterEach(() => {
  cleanup();
  app.stop();
});

const now = new Date().toISOString();

describe('ClusterPanel', () => {
  it('is absent without a cluster, and never asks for one', async () => {
    let asked = 0;
    backend.cluster = async () => {
      asked++;
      return undefined;
    };
    render(ClusterPanel, { context: appContext(app) });
    await Promise.resolve();
    expect(screen.queryByTestId('cluster')).toBeNull();
    expect(asked).toBe(0);
  });

  it('names this node, the leader and term, and what every node sees', async () => {
    backend.cluster = async () => ({
      leader: 'n1',
      term: 42,
      self: 'n2',
      nodes: [
        { name: 'n1', url: 'http://10.0.0.1:8480', leader: true, lastSeen: now, pairsDown: 0 },
        { name: 'n2', url: 'http://10.0.0.2:8480', leader: false, lastSeen: now, pairsDown: 1 },
      ],
    });
    app.health.cluster = true;
    render(ClusterPanel, { context: appContext(app) });
    expect((await screen.findByTestId('cluster-self')).textContent).toBe('n2');
    expect(screen.getByTestId('cluster-leader').textContent).toBe('n1');
    expect(screen.getByTestId('cluster').textContent).toContain('term 42');
    const n1 = document.querySelector('[data-node="n1"]')!.textContent!;
    const n2 = document.querySelector('[data-node="n2"]')!.textContent!;
    expect(n1).toMatch(/n1 \(leader\):\s*sees every primary up/);
    expect(n2).toMatch(/n2 \(this one\):\s*sees 1 primary down/);
  });

  it('says so when no node leads', async () => {
    backend.cluster = async () => ({ leader: null, term: 0, self: 'n1', nodes: [] });
    app.health.cluster = true;
    render(ClusterPanel, { context: appContext(app) });
    expect((await screen.findByTestId('cluster-leader')).textContent).toBe('no leader');
    expect(screen.getByTestId('cluster').textContent).toMatch(/nothing fails over/);
  });
});

describe('DecisionView with a vantage quorum', () => {
  it('lists what each node saw', async () => {
    const { default: DecisionView } = await import('../../src/renderer/src/lib/components/detail/DecisionView.svelte');
    render(DecisionView, {
      context: appContext(app),
      props: {
        decision: {
          at: now,
          to: 'failover',
          primary: [],
          validation: [],
          vantage: [
            { node: 'n1', consecutiveFailures: 4, down: true },
            { node: 'n2', consecutiveFailures: 0, down: false },
          ],
        },
        state: 'failover',
        since: now,
      },
    });
    const items = [...screen.getByTestId('decision-vantage').querySelectorAll('li')].map((li) =>
      li.textContent?.trim(),
    );
    expect(items[0]).toMatch(/n1: primary down, 4 failed in a row/);
    expect(items[1]).toMatch(/n2: primary up, 0 failed in a row/);
  });
});
