// The service's log: one line per message on stdout (journald and container runtimes collect it),
// as logfmt (the default, for people and grep) or JSON (for log shippers). Every string that looks
// like a URL is masked on the way out, so a secret in a URL cannot reach the log even through an
// error message.

import type { Logger } from '../core/ports.js';
import { maskUrl } from '../shared/secrets.js';

export const LOG_FORMATS = ['logfmt', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServiceLogger extends Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
}

export interface LogOptions {
  format?: LogFormat;
  level?: LogLevel;
  stream?: NodeJS.WritableStream;
  now?: () => Date;
}

const URL_IN_TEXT = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]+/g;

function maskUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => maskUrl(url));
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return maskUrlsIn(value);
  if (Array.isArray(value)) return value.map(clean);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
  }
  return value;
}

function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}

function formatLine(
  format: LogFormat,
  time: Date,
  level: LogLevel,
  message: string,
  fields: Record<string, unknown> = {},
): string {
  const record: Record<string, unknown> = { time: time.toISOString(), level, msg: maskUrlsIn(message) };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && !(key in record)) record[key] = clean(value);
  }
  if (format === 'json') return `${JSON.stringify(record)}\n`;
  return `${Object.entries(record)
    .map(([k, v]) => `${k}=${logfmtValue(v)}`)
    .join(' ')}\n`;
}

export function createLogger(opts: LogOptions = {}): ServiceLogger {
  const format = opts.format ?? 'logfmt';
  const threshold = LOG_LEVELS.indexOf(opts.level ?? 'info');
  const stream = opts.stream ?? process.stdout;
  const now = opts.now ?? (() => new Date());
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    stream.write(formatLine(format, now(), level, message, fields));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
