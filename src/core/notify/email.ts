// E-mail through SMTP with nodemailer: `<smtp>smtp://user:pass@host:587</smtp>` (STARTTLS when the
// server offers it) or `smtps://…:465` (TLS from the start). One transport per delivery, closed
// for one message; the subject is the title, the text the message and its facts.

import nodemailer from 'nodemailer';
import type { NotifyMessage, NotifySettings } from '../../shared/notify.js';
import { SECRET_MASK } from '../../shared/model.js';
import type { NotifyChannel, NotifyOutcome } from '../ports.js';
import { titleOf } from './http-post.js';

export function emailContent(m: NotifyMessage): { subject: string; text: string } {
  const subject = titleOf(m);
  const text = [
    m.text,
    '',
    `Pair: ${m.pair === '*' ? 'configuration' : `${m.pairName} (${m.pair})`}`,
    `Alert: ${m.alert}`,
    `Severity: ${m.severity}`,
    `Status: ${m.action === 'resolve' ? 'resolved' : 'firing'}`,
    `Time: ${m.at}`,
    '',
    '-- PBX Failover Monitor',
  ].join('\n');
  return { subject, text };
}

function transportOptions(smtp: string, timeoutMs: number) {
  const u = new URL(smtp);
  const secure = u.protocol === 'smtps:';
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
}

export function emailChannel(s: NotifySettings): NotifyChannel {
  const password = decodeURIComponent(new URL(s.smtp!).password);
  // Words of a failure never carry the password, even when a server echoes what it was sent.
  const clean = (text: string) => (password ? text.split(password).join(SECRET_MASK) : text);
  return {
    id: s.id,
    type: 'email',
    handles: (action) => action !== 'acknowledge',
    async send(m, timeoutMs): Promise<NotifyOutcome> {
      const started = performance.now();
      const transport = nodemailer.createTransport(transportOptions(s.smtp!, timeoutMs));
      try {
        const info = await transport.sendMail({ from: s.from!, to: s.to!.join(', '), ...emailContent(m) });
        const code = Number(/^(\d{3})/.exec(String(info.response ?? ''))?.[1] ?? 250);
        return { ok: true, status: code, latencyMs: Math.round(performance.now() - started) };
      } catch (error) {
        const e = error as { responseCode?: number; message?: string };
        const out: NotifyOutcome = {
          ok: false,
          latencyMs: Math.round(performance.now() - started),
          error: clean(String(e.message ?? error)).slice(0, 300),
        };
        if (typeof e.responseCode === 'number') out.status = e.responseCode;
        return out;
      } finally {
        transport.close();
      }
    },
  };
}
