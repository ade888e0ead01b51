// Two instances on one machine must never both fire action URLs. Electron's
// single-instance lock decides who runs; this decides what each side does.

import { parseShellArgs } from './command-line.js';

export type StartupDecision = { run: true } | { run: false; reason: string };

export function startupDecision(gotLock: boolean): StartupDecision {
  return gotLock
    ? { run: true }
    : { run: false, reason: 'PBX Failover Monitor is already running; the running instance was brought to the front.' };
}

export interface SecondInstanceResponse {
  focusWindow: true;
  /** Set when the second launch asked for another serverdir, which the running instance does not switch to. */
  notice?: string;
}

/** The first instance's answer to a second launch: focus, and say so when the launch asked for something else. */
export function secondInstanceResponse(
  currentServerdir: string,
  argv: readonly string[],
  cwd: string,
): SecondInstanceResponse {
  const parsed = parseShellArgs(argv, cwd);
  if (parsed.ok && parsed.serverdir !== undefined && parsed.serverdir !== currentServerdir) {
    return {
      focusWindow: true,
      notice: `Already running on ${currentServerdir}. A second launch asked for ${parsed.serverdir}; quit this instance first to use it.`,
    };
  }
  return { focusWindow: true };
}
