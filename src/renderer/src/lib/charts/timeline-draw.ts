// Draws a pair's timeline on a canvas: markers (alerts, operator actions, action
// attempts), state bands with their names, one row of checks for the primary and
// one for the standby, and a time axis.

import type { HistoryEvent, MinuteColumns, PairState } from '$shared/model';
import { STATE_LABEL } from '../status';
import { formatAxisTime } from '../format';
import { checkColumns, firstKnown, markers, stateBands, tickStep, type Columns, type Window } from './timeline-data';

export interface TimelineInput {
  events: HistoryEvent[];
  /** The checks, as the history API's `shape=columns` gives them. */
  columns: MinuteColumns;
  window: Window;
  current: PairState;
  hasStandby: boolean;
  /** When the current state began (the band of the current state never starts later). */
  since?: number;
  /** Maintenance windows of the pair overlapping the window (epoch ms), drawn along the top. */
  maintenance?: Array<{ start: number; end: number }>;
}

const LAYOUT = { markers: 18, bands: 30, gap: 6, checks: 16, axis: 20 };

export function timelineHeight(hasStandby: boolean): number {
  const { markers: m, bands, gap, checks, axis } = LAYOUT;
  return m + bands + gap + checks + (hasStandby ? gap + checks : 0) + axis;
}

type Palette = Record<
  'ok' | 'critical' | 'warning' | 'notice' | 'paused' | 'nodata' | 'text' | 'muted' | 'border' | 'accent',
  string
>;

const STATE_COLOUR: Record<PairState, keyof Palette> = {
  starting: 'notice',
  waiting: 'ok',
  verifying: 'warning',
  failover: 'critical',
  paused: 'paused',
};

export function readPalette(el: Element): Palette {
  const css = getComputedStyle(el);
  const get = (name: string, fallback: string) => css.getPropertyValue(`--${name}`).trim() || fallback;
  return {
    ok: get('ok', '#1a7f37'),
    critical: get('critical', '#c62828'),
    warning: get('warning', '#8a5a00'),
    notice: get('notice', '#3d5a80'),
    paused: get('paused', '#6e40c9'),
    nodata: get('nodata', '#c7ccd4'),
    text: get('text', '#1b1f24'),
    muted: get('muted', '#5b6470'),
    border: get('border', '#d5d9e0'),
    accent: get('accent', '#0b5fd7'),
  };
}

export function drawTimeline(
  ctx: CanvasRenderingContext2D,
  width: number,
  input: TimelineInput,
  palette: Palette,
): void {
  const height = timelineHeight(input.hasStandby);
  ctx.clearRect(0, 0, width, height);
  const win = input.window;
  const xOf = (t: number) => ((t - win.from) / (win.to - win.from)) * width;
  let y = LAYOUT.markers;
  drawMaintenance(ctx, input, xOf, width, palette);
  drawBands(ctx, input, xOf, y, palette);
  y += LAYOUT.bands + LAYOUT.gap;
  const { columns } = input;
  drawChecks(ctx, checkColumns(columns.primary, columns.bucketMs, win, width), y, palette);
  if (input.hasStandby) {
    y += LAYOUT.checks + LAYOUT.gap;
    drawChecks(ctx, checkColumns(columns.standby, columns.bucketMs, win, width), y, palette);
  }
  y += LAYOUT.checks;
  drawMarkers(ctx, input, xOf, palette);
  drawAxis(ctx, win, width, y, xOf, palette);
}

/** A dashed bracket in the paused colour over each maintenance occurrence, in the marker row. */
function drawMaintenance(
  ctx: CanvasRenderingContext2D,
  input: TimelineInput,
  xOf: (t: number) => number,
  width: number,
  p: Palette,
): void {
  for (const o of input.maintenance ?? []) {
    const x0 = Math.max(0, xOf(o.start));
    const x1 = Math.min(width, xOf(o.end));
    if (x1 <= x0) continue;
    ctx.fillStyle = p.paused;
    ctx.globalAlpha = 0.2;
    ctx.fillRect(x0, 3, x1 - x0, LAYOUT.markers - 6);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = p.paused;
    ctx.setLineDash([4, 3]);
    ctx.strokeRect(x0 + 0.5, 3.5, Math.max(1, x1 - x0 - 1), LAYOUT.markers - 7);
    ctx.setLineDash([]);
  }
}

function drawBands(
  ctx: CanvasRenderingContext2D,
  input: TimelineInput,
  xOf: (t: number) => number,
  y: number,
  p: Palette,
): void {
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  const known = Math.min(firstKnown(input.events, input.columns), input.since ?? Infinity);
  for (const band of stateBands(input.events, input.window, input.current, known)) {
    const x0 = xOf(band.from);
    const w = Math.max(1, xOf(band.to) - x0);
    ctx.fillStyle = p[STATE_COLOUR[band.state]];
    ctx.globalAlpha = band.state === 'waiting' ? 0.55 : 0.9;
    ctx.fillRect(x0, y, w, LAYOUT.bands);
    ctx.globalAlpha = 1;
    // A failover band is also hatched, so it stands out without colour.
    if (band.state === 'failover' || band.state === 'paused') hatch(ctx, x0, y, w, LAYOUT.bands);
    const label = STATE_LABEL[band.state];
    if (w > ctx.measureText(label).width + 10) {
      ctx.fillStyle = '#fff';
      ctx.fillText(label, x0 + 5, y + LAYOUT.bands / 2);
    }
  }
}

function hatch(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, w, h);
  ctx.clip();
  ctx.strokeStyle = 'rgba(255,255,255,0.35)';
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let i = x - h; i < x + w; i += 8) {
    ctx.moveTo(i, y + h);
    ctx.lineTo(i + h, y);
  }
  ctx.stroke();
  ctx.restore();
}

function drawChecks(ctx: CanvasRenderingContext2D, cols: Columns, y: number, p: Palette): void {
  const h = LAYOUT.checks;
  ctx.fillStyle = p.nodata;
  ctx.fillRect(0, y + h - 2, cols.checks.length, 2);
  // Runs of equal colour are drawn as one rectangle: 2,000 columns cost a few dozen fills.
  let runStart = 0;
  let runColour = '';
  const flush = (end: number) => {
    if (runColour && end > runStart) {
      ctx.fillStyle = runColour;
      ctx.fillRect(runStart, y + 4, end - runStart, h - 4);
    }
  };
  for (let x = 0; x < cols.checks.length; x++) {
    const c = cols.checks[x]!;
    const colour = c === 0 ? '' : cols.failures[x]! > 0 ? p.critical : p.ok;
    if (colour !== runColour) {
      flush(x);
      runStart = x;
      runColour = colour;
    }
  }
  flush(cols.checks.length);
  // Failures get their full height, so a single bad minute is visible without colour.
  ctx.fillStyle = p.critical;
  for (let x = 0; x < cols.checks.length; x++) if (cols.failures[x]! > 0) ctx.fillRect(x, y, 1, h);
}

function drawMarkers(
  ctx: CanvasRenderingContext2D,
  input: TimelineInput,
  xOf: (t: number) => number,
  p: Palette,
): void {
  const bandsTop = LAYOUT.markers;
  let lastX = -10;
  for (const m of markers(input.events, input.window)) {
    const x = Math.round(xOf(m.at));
    if (m.kind === 'failed-check') continue;
    if (m.kind === 'operator') {
      ctx.fillStyle = p.accent;
      diamond(ctx, x, bandsTop - 8, 6);
      ctx.fillRect(x, bandsTop, 1, LAYOUT.bands);
    } else if (m.kind === 'alert') {
      if (Math.abs(x - lastX) < 2) continue;
      lastX = x;
      ctx.fillStyle = m.severity === 'critical' ? p.critical : m.severity === 'warning' ? p.warning : p.muted;
      triangle(ctx, x, bandsTop - 2, 5);
    } else {
      ctx.fillStyle = m.severity === 'info' ? p.ok : p.warning;
      ctx.fillRect(x - 1, bandsTop - 14, 3, 3);
    }
  }
}

function diamond(ctx: CanvasRenderingContext2D, x: number, y: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r, y);
  ctx.closePath();
  ctx.fill();
}

function triangle(ctx: CanvasRenderingContext2D, x: number, y: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x - r, y - 2 * r);
  ctx.lineTo(x + r, y - 2 * r);
  ctx.lineTo(x, y);
  ctx.closePath();
  ctx.fill();
}

function drawAxis(
  ctx: CanvasRenderingContext2D,
  win: Window,
  width: number,
  y: number,
  xOf: (t: number) => number,
  p: Palette,
): void {
  const span = win.to - win.from;
  const step = tickStep(span, width);
  ctx.fillStyle = p.muted;
  ctx.strokeStyle = p.border;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  const offset = new Date().getTimezoneOffset() * 60_000;
  const first = Math.ceil((win.from - offset) / step) * step + offset;
  for (let t = first; t <= win.to; t += step) {
    const x = Math.round(xOf(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, y + 1);
    ctx.lineTo(x, y + 5);
    ctx.stroke();
    const label = tickLabel(t, step);
    const w = ctx.measureText(label).width;
    ctx.fillText(label, Math.min(Math.max(0, x - w / 2), width - w), y + 6);
  }
}

function tickLabel(t: number, step: number): string {
  return formatAxisTime(t, Math.max(step, 60_000));
}
