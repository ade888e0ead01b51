// How times, durations and latencies read on a wall display: short and exact enough.

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatLatency(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatPercent(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '–';
  if (ratio >= 1) return '100%';
  const pct = ratio * 100;
  return `${pct >= 99.9 ? pct.toFixed(2) : pct.toFixed(1)}%`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time, 24 h, with seconds: "2026-11-27 09:14:03". */
export function formatTime(iso: string | number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * An axis label in the same 24-hour, ISO-like local format as every other time on the dashboard:
 * "14:05" within a day, "14:05:30" for steps under a minute, "11-27" at midnight or for whole days.
 */
export function formatAxisTime(ms: number, stepMs: number): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (stepMs < 60_000) return `${hm}:${pad(d.getSeconds())}`;
  if (stepMs < 86_400_000 && (d.getHours() !== 0 || d.getMinutes() !== 0)) return hm;
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function formatClock(iso: string | number): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
