// The service's log: one line per message on stderr, so stdout stays for what a person reads at
// start (the dashboard address). Fields come from the engine, which masks secrets before logging.

import type { Logger } from '../core/ports.js';

function line(level: string, message: string, fields?: Record<string, unknown>): string {
  const time = new Date().toISOString();
  const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return `${time} ${level} ${message}${extra}\n`;
}

export function consoleLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  return {
    info: (message, fields) => void stream.write(line('info', message, fields)),
    warn: (message, fields) => void stream.write(line('warn', message, fields)),
    error: (message, fields) => void stream.write(line('error', message, fields)),
  };
}
