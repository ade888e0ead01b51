// Cluster mode against a real etcd (started here on free loopback ports, killed after): one leader,
// the settings seeded from the first node's file, fenced commits, followers taking the leader's state,
// exactly one action request across the nodes, and a new leader after the old one closed.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { openMonitor } from '../../../src/core/monitor.js';
import type { Monitor } from '../../../src/core/ports.js';
import type { EngineEvent } from '../../../src/shared/model.js';
import { EtcdServer } from '../../helpers/etcd.js';
import { pairSettings } from '../../helpers/engine-fixtures.js';
import { HttpFixture, waitFor } from '../../helpers/http-fixtures.js';
import { fastTuning, readConfigText, tempServerdir, writeConfig } from '../../helpers/serverdir.js';

let etcd: EtcdServer;
let prefixNo = 0;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  etcd = await EtcdServer.start();
});
afterAll(async () => {
  await etcd?.stop();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fixture(status = 200): Promise<HttpFixture> {
  const f = await HttpFixture.start({ status });
  cleanups.push(() => f.close());
  return f;
}

interface Node {
  name: string;
  monitor: Monitor;
  events: EngineEvent[];
  serverdir: string;
}

async function node(name: string, prefix: string, serverdir?: string): Promise<Node> {
  const dir = serverdir ?? (await tempServerdir(cleanups));
  const monitor = await openMonitor({
    serverdir: dir,
    version: 'test',
    defaultOperator: 'tester',
    ...fastTuning,
    cluster: {
      endpoints: [etcd.url],
      node: name,
      prefix,
      leaseTtl: 2,
      tickMs: 100,
      advertiseUrl: `http://${name}.test:1`,
    },
  });
  const events: EngineEvent[] = [];
  monitor.subscribe((e) => events.push(e));
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await monitor.close();
  });
  const n = { name, monitor, events, serverdir: dir };
  (n as { close?: () => Promise<void> }).close = async () => {
    closed = true;
    await monitor.close();
  };
  return n;
}

async function closeNode(n: Node): Promise<void> {
  await (n as unknown as { close: () => Promise<void> }).close();
}

function freshPrefix(): string {
  return `/pfm-test-${process.pid}-${++prefixNo}/`;
}

describe('cluster on etcd', () => {
  it('elects one leader, seeds the settings from the first node, and fires one action for an outage', async () => {
    const primary = await fixture(200);
    const receiver = await fixture(200);
    const prefix = freshPrefix();
    const first = await tempServerdir(cleanups);
    await writeConfig(first, [
      pairSettings({ id: 'acme', primaryUrl: primary.url('/'), actionUrl: receiver.url('/hook') }),
    ]);
    const a = await node('a', prefix, first);
    const b = await node('b', prefix);
    const c = await node('c', prefix);
    const nodes = [a, b, c];
    // Every node watches the pair of the first node's file (b and c had no file).
    for (const n of nodes) expect((await n.monitor.listPairs()).map((p) => p.id)).toEqual(['acme']);
    await waitFor(
      () => nodes.every((n) => n.monitor.cluster?.()?.nodes.length === 3 && n.monitor.cluster?.()?.leader !== null),
      'three nodes and a leader',
      15_000,
    );
    const info = a.monitor.cluster!()!;
    expect(info.leader).toBe('a');
    expect(info.term).toBeGreaterThan(0);
    expect(info.nodes.map((x) => [x.name, x.leader, x.url])).toEqual([
      ['a', true, 'http://a.test:1'],
      ['b', false, 'http://b.test:1'],
      ['c', false, 'http://c.test:1'],
    ]);
    for (const n of nodes) expect(n.monitor.cluster!()!.leader).toBe('a');
    // Everyone reaches waiting: the leader by its own check, the followers by taking its state.
    await waitForState(nodes, 'acme', 'waiting');

    await primary.refuse();
    await waitForState(nodes, 'acme', 'failover', 15_000);
    await waitFor(() => receiver.hits >= 1, 'the action request');
    await waitForAction(nodes, 'acme', 'succeeded');
    expect(receiver.hits).toBe(1);
    // The followers' streams and files carry the leader's move.
    for (const n of [b, c]) {
      expect(n.events.some((e) => e.type === 'state' && e.to === 'failover')).toBe(true);
      expect(n.events.some((e) => e.type === 'action' && e.phase === 'succeeded')).toBe(true);
    }
    for (const n of [b, c]) await expectFileState(n, 'failover');
    // A follower refuses changes itself (the service forwards them to the leader).
    await expect(b.monitor.pause('acme', { reason: 'test' })).rejects.toThrow(/not the cluster leader/);
  });

  it('a follower leads once the leader is gone, and the next outage fires once', async () => {
    const primary = await fixture(200);
    const receiver = await fixture(200);
    const prefix = freshPrefix();
    const first = await tempServerdir(cleanups);
    await writeConfig(first, [
      pairSettings({ id: 'acme', primaryUrl: primary.url('/'), actionUrl: receiver.url('/hook') }),
    ]);
    const a = await node('a', prefix, first);
    const b = await node('b', prefix);
    await waitForState([a, b], 'acme', 'waiting');
    await closeNode(a);
    await waitFor(() => b.monitor.cluster?.()?.leader === 'b', 'b leads', 10_000);
    await primary.refuse();
    await waitForState([b], 'acme', 'failover', 15_000);
    await waitFor(() => receiver.hits >= 1, 'the action request');
    await waitForAction([b], 'acme', 'succeeded');
    expect(receiver.hits).toBe(1);
  });

  it('fences a stale leader: its transaction on an old create revision is refused', async () => {
    const prefix = freshPrefix();
    const first = await tempServerdir(cleanups);
    await writeConfig(first, [pairSettings({ id: 'acme', primaryUrl: 'http://127.0.0.1:9/' })]);
    const a = await node('a', prefix, first);
    await waitFor(() => a.monitor.cluster?.()?.leader === 'a', 'a leads');
    const client = new Etcd3({ hosts: [etcd.url] });
    cleanups.push(async () => client.close());
    const term = a.monitor.cluster!()!.term;
    // Someone else's leadership: the leader key deleted and created anew (a new create revision).
    await client.delete().key(`${prefix}leader`);
    await client.put(`${prefix}leader`).value('intruder');
    const before = await client.get(`${prefix}pairs/acme`).string();
    // Refused before anything changes when a has noticed; otherwise the fenced write fails: not saved.
    await expect(a.monitor.pause('acme', { reason: 'stale' })).rejects.toThrow(
      /not the cluster leader|no longer the cluster leader/,
    );
    await waitFor(() => a.monitor.cluster?.()?.leader === 'intruder', 'a sees the intruder');
    expect(await client.get(`${prefix}pairs/acme`).string()).toBe(before);
    expect(a.monitor.cluster!()!.term).toBeGreaterThan(term);
  });
});

describe('vantage quorum', () => {
  it('fails over only when at least `quorum` live nodes each see the primary down', async () => {
    const primary = await fixture(200);
    const receiver = await fixture(200);
    const prefix = freshPrefix();
    const first = await tempServerdir(cleanups);
    await writeConfig(first, [
      {
        ...pairSettings({ id: 'acme', primaryUrl: primary.url('/'), actionUrl: receiver.url('/hook') }),
        vantageQuorum: 2,
      },
    ]);
    const a = await node('a', prefix, first);
    await waitForState([a], 'acme', 'waiting');
    await primary.refuse();
    // The leader alone sees it down: it keeps counting in waiting, no verification, no action.
    await waitFor(() => (a.monitor.cluster?.()?.nodes[0]?.pairsDown ?? 0) === 1, 'a publishes the pair as down');
    const failures = (await a.monitor.getPair('acme')).consecutiveFailures;
    await waitFor(() => a.events.filter((e) => e.type === 'check' && e.pair === 'acme').length > 20, 'more checks');
    const now = await a.monitor.getPair('acme');
    expect(now.state).toBe('waiting');
    expect(now.consecutiveFailures).toBeGreaterThan(failures);
    expect(receiver.hits).toBe(0);
    // A second live node (its view under a key bound to its own lease) sees it down too: failover, once.
    const client = new Etcd3({ hosts: [etcd.url] });
    cleanups.push(async () => client.close());
    const lease = client.lease(5);
    const view = { name: 'z', url: '', at: new Date().toISOString(), pairs: { acme: [5, 2, 0] } };
    await lease.put(`${prefix}nodes/z`).value(JSON.stringify(view));
    cleanups.push(() => lease.revoke().catch(() => undefined));
    await waitForState([a], 'acme', 'failover');
    await waitForAction([a], 'acme', 'succeeded');
    expect(receiver.hits).toBe(1);
    // The decision lists what each node saw.
    const decision = (await a.monitor.getPair('acme')).lastDecision!;
    expect(decision.to).toBe('failover');
    expect(decision.vantage?.map((v) => [v.node, v.down])).toEqual([
      ['a', true],
      ['z', true],
    ]);
  });
});

async function waitForState(nodes: Node[], id: string, state: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(nodes.map(async (n) => (await n.monitor.getPair(id)).state));
    if (states.every((s) => s === state)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${state} on every node (now ${states.join(', ')})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForAction(nodes: Node[], id: string, phase: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const phases = await Promise.all(nodes.map(async (n) => (await n.monitor.getPair(id)).action?.phase));
    if (phases.every((s) => s === phase)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for action ${phase} on every node (now ${phases.join(', ')})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectFileState(n: Node, state: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await readConfigText(n.serverdir).catch(() => '');
    if (text.includes(`state="${state}"`) || new RegExp(`<state[^>]*>${state}<`).test(text)) return;
    if (Date.now() > deadline) throw new Error(`${n.name}'s file does not show ${state}:\n${text.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
