// Loopback receivers for the alert channels: HTTP fixtures (Slack, Teams, PagerDuty, webhook) and an
// SMTP sink (smtp-server) that keeps every message it accepts.

import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { AlertEvent, EngineEvent } from '../../../src/shared/model.js';
import { createHttpClient } from '../../../src/core/http-client.js';
import { NotifyDispatcher, type DispatcherDeps } from '../../../src/core/notify/dispatcher.js';
import { systemClock, systemTimers, silentLogger } from '../../../src/core/ports.js';
import type { NotifySettings } from '../../../src/shared/notify.js';

export interface SmtpSink {
  port: number;
  mails: Array<{ from: string; to: string[]; raw: string; user?: string; pass?: string }>;
  close(): Promise<void>;
}

export async function startSmtpSink(auth?: { user: string; pass: string }): Promise<SmtpSink> {
  const mails: SmtpSink['mails'] = [];
  const server = new SMTPServer({
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(a, _session, cb) {
      if (auth && a.username === auth.user && a.password === auth.pass) cb(null, { user: a.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface DispatcherHarness {
  dispatcher: NotifyDispatcher;
  events: EngineEvent[];
  close(): Promise<void>;
}

/** A dispatcher on the real HTTP client whose emitted events are fed back to itself (as the supervisor does). */
export function startDispatcher(channels: NotifySettings[], opts: Partial<DispatcherDeps> = {}): DispatcherHarness {
  const client = createHttpClient();
  const events: EngineEvent[] = [];
  const dispatcher: NotifyDispatcher = new NotifyDispatcher({
    client,
    clock: systemClock,
    timers: systemTimers,
    log: silentLogger,
    emit: (e) => {
      events.push(e);
      dispatcher.handle(e);
    },
    pairInfo: (id) =>
      id === 'acme' ? { name: 'ACME Corp', primaryUrl: 'http://user:secret@127.0.0.1:1/' } : undefined,
    backoff: () => 20,
    timeoutMs: 2000,
    ...opts,
  });
  dispatcher.setChannels(channels);
  return {
    dispatcher,
    events,
    async close() {
      await dispatcher.close();
      await client.close();
    },
  };
}

let seq = 0;
export function alertEvent(
  alert: AlertEvent['alert'],
  severity: AlertEvent['severity'],
  pair = 'acme',
  message = `${alert} happened`,
): AlertEvent {
  seq++;
  return { type: 'alert', id: `t-${seq}`, pair, at: new Date().toISOString(), alert, severity, message };
}
