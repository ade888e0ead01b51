// Advice about settings that are valid: warnings that weaken protection (status, log at start)
// and the editor's hints from the failover guidance. Never blocks saving.

import type { PairSettings } from './model.js';
import { DEFAULTS, retrySpanSeconds } from './rules.js';

// ---------------------------------------------------------------------------------------------
// Warnings about valid settings that weaken protection (status, editor, log at start)

const NO_ISOLATION_PROTECTION =
  'without a validation URL (quorum 0) there is no isolation protection: a watcher cut off from the network fails this pair over';

/** What is valid but unsafe about these settings, in words, for the status and the log at start. */
export function settingsWarnings(s: PairSettings): string[] {
  return s.validation.urls.length === 0 ? [NO_ISOLATION_PROTECTION] : [];
}

// ---------------------------------------------------------------------------------------------
// Hints for the editor, from the failover guidance

export interface SettingsHint {
  field: string;
  message: string;
}

/** Advice shown next to the editor's fields; never blocks saving. */
export function settingsHints(s: Partial<PairSettings>): SettingsHint[] {
  const hints: SettingsHint[] = [];
  const interval = typeof s.interval === 'number' && Number.isFinite(s.interval) ? s.interval : undefined;
  const tolerated =
    typeof s.toleratedFailures === 'number' && Number.isFinite(s.toleratedFailures) ? s.toleratedFailures : undefined;
  if (interval !== undefined && tolerated !== undefined && interval > 0 && tolerated >= 0) {
    const seconds = round(interval * (tolerated + 1));
    hints.push({
      field: 'toleratedFailures',
      message: `detection takes about ${formatSeconds(seconds)} (interval × (tolerated failures + 1)), then the validation URLs are checked`,
    });
  }
  if (interval !== undefined && typeof s.timeout === 'number' && s.timeout > interval) {
    hints.push({
      field: 'timeout',
      message: 'the timeout is longer than the interval: a slow primary is checked back to back, not at every interval',
    });
  }
  for (const [prefix, action] of [
    ['action', s.action],
    ['failbackAction', s.failbackAction],
  ] as const) {
    const attempts =
      typeof action?.retries === 'number' && Number.isInteger(action.retries) && action.retries >= 1
        ? action.retries
        : undefined;
    if (attempts === undefined) continue;
    hints.push({
      field: `${prefix}.retries`,
      message: `${attempts} attempts, waiting 0.5 s, 1 s, 2 s, … up to 30 s between them: the action keeps trying for about ${formatSeconds(round(retrySpanSeconds(attempts)))} plus the attempts themselves (default ${DEFAULTS.retries}, about 10 min)`,
    });
  }
  const primary = hostOf(s.primaryUrl);
  if (primary) {
    if (primary.protocol === 'https:') {
      hints.push({
        field: 'primaryUrl',
        message: 'https costs a TLS handshake on every check; plain http keeps the polling load on the PBX low',
      });
    }
    if (!isIpAddress(primary.hostname)) {
      hints.push({
        field: 'primaryUrl',
        message: `"${primary.hostname}" is a host name: DNS becomes a point of failure, and after a failover the name may point at the standby. Use the primary's IP address`,
      });
    }
  }
  const urls = Array.isArray(s.validation?.urls) ? s.validation.urls : [];
  if (urls.filter((u) => typeof u === 'string' && u.trim() !== '').length === 0) {
    hints.push({
      field: 'validation.urls',
      message: `${NO_ISOLATION_PROTECTION}; add a validation URL (an always-up site)`,
    });
  }
  urls.forEach((u, i) => {
    const host = hostOf(u);
    if (primary && host && host.hostname === primary.hostname) {
      hints.push({
        field: `validation.urls[${i}]`,
        message:
          "is on the same host as the primary: it goes down with the primary and proves nothing about the watcher's own connectivity",
      });
    }
  });
  return hints;
}

function hostOf(url: unknown): URL | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

function isIpAddress(hostname: string): boolean {
  return hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${round(s / 60)} min`;
  return `${round(s / 3600)} h`;
}
