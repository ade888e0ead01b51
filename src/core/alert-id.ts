// Stable ids of alerts: given once when an alert is emitted (Supervisor.emit, or whoever emits
// first), kept in the history, named by `POST /api/alerts/:id/ack`.

import { randomBytes } from 'node:crypto';

let counter = 0;

export function newAlertId(nowMs: number): string {
  counter = (counter + 1) % 1_679_616;
  return `${nowMs.toString(36)}-${counter.toString(36).padStart(4, '0')}${randomBytes(3).toString('hex')}`;
}
