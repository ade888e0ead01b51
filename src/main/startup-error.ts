// The words shown when the engine cannot start: a broken pbxctrl-failover.xml
// (every problem with pair and field) or a serverdir held by another process.

import { MonitorError } from '../shared/api.js';

export function startupErrorText(err: unknown, serverdir: string): string {
  const lines = [`The watchers could not start on ${serverdir}.`, ''];
  if (err instanceof MonitorError) {
    lines.push(err.message);
    for (const p of err.problems ?? []) {
      lines.push(`• ${p.pair ? `pair ${p.pair}, ` : ''}${p.field}: ${p.message}`);
    }
  } else {
    lines.push(err instanceof Error ? err.message : String(err));
  }
  lines.push('', 'Nothing was changed. Fix the problem and start the app again.');
  return lines.join('\n');
}
