import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/shared/model.js';
import { EventHub, formatBatch, type EventStreamOptions } from '../../src/server/sse.js';

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An event source the test drives by hand: the hub's only input. */
class Emitter {
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  subscribe(listener: (event: EngineEvent) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(event: EngineEvent) {
    for (const l of this.listeners) l(event);
  }
  get count() {
    return this.listeners.size;
  }
}

function alert(i: number, message = `alert ${i}`): EngineEvent {
  return { type: 'alert', pair: 'p1', at: new Date(i).toISOString(), alert: 'verifying', severity: 'warning', message };
}

function check(i: number): EngineEvent {
  return {
    type: 'check',
    pair: 'p1',
    at: new Date(i).toISOString(),
    consecutiveFailures: 0,
    result: {
      target: 'primary',
      url: 'http://127.0.0.1:1/',
      ok: true,
      status: 200,
      latencyMs: 1,
      at: new Date(i).toISOString(),
    },
  };
}

let app: FastifyInstance | undefined;
let hub: EventHub | undefined;

async function serve(opts: EventStreamOptions) {
  const source = new Emitter();
  hub = new EventHub(source, opts);
  app = Fastify({ logger: false });
  const h = hub;
  app.get('/events', (_request, reply) => h.attach(reply));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { source, hub: h, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/events` };
}

afterEach(async () => {
  hub?.close();
  await app?.close();
  app = undefined;
  hub = undefined;
});

/** Reads an SSE stream and splits it into messages. */
async function reader(url: string) {
  const res = await fetch(url);
  const stream = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const messages: string[] = [];
  void (async () => {
    for (;;) {
      const { value, done } = await stream.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        messages.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  })();
  return { res, messages, cancel: () => stream.cancel() };
}

function batches(messages: string[]): EngineEvent[][] {
  return messages
    .filter((m) => m.startsWith('event: events\n'))
    .map((m) => JSON.parse(m.slice(m.indexOf('data: ') + 6)) as EngineEvent[]);
}

describe('event stream', () => {
  it('formats a batch as one `events` message with a JSON array on one data line', () => {
    const text = formatBatch([alert(1), alert(2)]);
    expect(text).toBe(`event: events\ndata: ${JSON.stringify([alert(1), alert(2)])}\n\n`);
    expect(text.split('\n').filter((l) => l.startsWith('data: '))).toHaveLength(1);
  });

  it('delivers events in order, batched into few messages', async () => {
    const { source, hub, url } = await serve({ batchMs: 100 });
    const client = await reader(url);
    expect(client.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await waitFor('the client to be attached', () => hub.clientCount === 1);
    for (let i = 0; i < 50; i++) source.emit(alert(i));
    await waitFor('50 events', () => batches(client.messages).flat().length >= 50);
    const received = batches(client.messages).flat();
    expect(received.map((e) => e.at)).toEqual(Array.from({ length: 50 }, (_, i) => new Date(i).toISOString()));
    expect(batches(client.messages).length).toBeLessThan(5);
    await client.cancel();
  });

  it('holds plain check results up to checkBatchMs, but sends an alert behind them within batchMs', async () => {
    const { source, hub, url } = await serve({ batchMs: 50, checkBatchMs: 1500 });
    const client = await reader(url);
    await waitFor('the client to be attached', () => hub.clientCount === 1);
    source.emit(check(1));
    source.emit(check(2));
    await new Promise((r) => setTimeout(r, 400));
    expect(batches(client.messages)).toHaveLength(0);
    const before = Date.now();
    source.emit(alert(3));
    await waitFor('the batch with the alert', () => batches(client.messages).length === 1);
    expect(Date.now() - before).toBeLessThan(1000);
    expect(batches(client.messages)[0]!.map((e) => e.at)).toEqual([1, 2, 3].map((i) => new Date(i).toISOString()));
    source.emit(check(4));
    await waitFor('the check-only batch', () => batches(client.messages).length === 2, 5000);
    expect(batches(client.messages)[1]!.map((e) => e.type)).toEqual(['check']);
    await client.cancel();
  });

  it('keeps idle streams alive with comment pings', async () => {
    const { url } = await serve({ pingMs: 50 });
    const client = await reader(url);
    await waitFor('two pings', () => client.messages.filter((m) => m === ': ping').length >= 2);
    await client.cancel();
  });

  it('drops a client that stops reading instead of buffering for it', async () => {
    const { source, hub, url } = await serve({ batchMs: 10, maxBufferedBytes: 256 * 1024 });
    const { port } = new URL(url);
    // A raw socket that sends the request and never reads the answer.
    const socket = connect(Number(port), '127.0.0.1');
    socket.pause();
    socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('the stalled client to attach', () => hub.clientCount === 1);
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    const big = 'x'.repeat(64 * 1024);
    await waitFor(
      'the stalled client to be dropped',
      async () => {
        for (let i = 0; i < 20; i++) source.emit(alert(i, big));
        await new Promise((r) => setTimeout(r, 15));
        return hub.clientCount === 0;
      },
      30_000,
      0,
    );
    socket.resume();
    await closed;
  });

  it('closing the hub ends every stream and unsubscribes', async () => {
    const source = new Emitter();
    const local = new EventHub(source, {});
    expect(source.count).toBe(1);
    local.close();
    expect(source.count).toBe(0);
  });
});
