// The tray: the worst state across all pairs as an icon (distinct in shape,
// not only colour), counts in the tooltip, each pair in the menu. The Tray
// itself comes from a factory so tests can build the menu for a set of pairs.

import type { Menu, MenuItemConstructorOptions, NativeImage } from 'electron';
import type { HealthProblem } from '../shared/api.js';
import type { PairStatus } from '../shared/model.js';
import {
  HEALTH_LEVELS,
  TOOLTIP_MAX,
  health,
  pairLevel,
  tooltipText,
  worstFirst,
  type HealthLevel,
  type PairLevel,
} from '../shared/health.js';
import { MUTE_CHOICES, MUTE_LABELS, type MuteChoice } from '../shared/mute-choices.js';
import { trustHeadline, trustTooltip } from './policy/trust.js';
import type { TrayConnection } from './remote/connection-watch.js';

/** A level of the pairs, or (remote mode) no contact with the service: its own icon. */
export type TrayLevel = HealthLevel | 'disconnected';
/** Every tray icon: one per level. */
export const TRAY_LEVELS: readonly TrayLevel[] = [...HEALTH_LEVELS, 'disconnected'];

export interface TrayActions {
  openDashboard(): void;
  showPair(pairId: string): void;
  mute(choice: MuteChoice): void;
  unmute(): void;
  setOpenAtLogin(on: boolean): void;
  quit(): void;
}

export interface TrayView {
  pairs: readonly PairStatus[];
  /** Epoch ms while notifications are muted. */
  mutedUntil?: number;
  openAtLogin: boolean;
  /** The engine cannot be trusted (states not saved, lock lost): outranks every pair's state. */
  problems?: readonly HealthProblem[];
  /** Remote mode: the service attached to, and whether contact is lost (outranks everything). */
  remote?: TrayConnection;
}

/** The worst state: no contact (remote) first, then a problem of the engine itself, then the pairs. */
export function trayLevel(view: TrayView): TrayLevel {
  if (view.remote?.down) return 'disconnected';
  return view.problems?.length ? 'critical' : health(view.pairs).level;
}

/** Remote mode's headline while contact is lost, or undefined. */
function downHeadline(view: TrayView): string | undefined {
  const r = view.remote;
  if (!r?.down) return undefined;
  return r.down === 'rejected' ? `token rejected by ${r.url}` : `no contact with ${r.url}`;
}

function trayTooltip(view: TrayView): string {
  const down = downHeadline(view);
  if (down) {
    const text = `PBX Failover Monitor: ${down}\nLast known: ${tooltipText(view.pairs).split('\n').slice(1).join(' ')}`;
    return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
  }
  return trustTooltip(view.problems ?? [], tooltipText(view.pairs));
}

/** A long menu is unusable; the rest is one click away in the dashboard. */
export const TRAY_MENU_PAIRS_MAX = 20;

const LEVEL_MARK: Record<PairLevel, string> = { critical: '✖', warning: '▲', ok: '✔', paused: '❚❚' };

function pairLabel(p: PairStatus): string {
  const extras = [
    p.action?.phase === 'failed' ? 'action failed' : '',
    p.state === 'failover' && p.primaryAnswering ? 'primary answers again' : '',
    p.standbyDown ? 'standby down' : '',
    p.isolated ? 'isolated' : '',
    p.certificateLevel === 'expired'
      ? 'certificate expired'
      : p.certificateLevel === 'critical'
        ? `certificate: ${p.certificateDaysLeft ?? '?'} days left`
        : '',
  ].filter(Boolean);
  return `${LEVEL_MARK[pairLevel(p)]} ${p.name} — ${p.state}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export function buildTrayMenuTemplate(view: TrayView, actions: TrayActions): MenuItemConstructorOptions[] {
  const sorted = worstFirst(view.pairs);
  const shown = sorted.slice(0, TRAY_MENU_PAIRS_MAX);
  const pairItems: MenuItemConstructorOptions[] = shown.map((p) => ({
    id: `pair:${p.id}`,
    label: pairLabel(p),
    click: () => actions.showPair(p.id),
  }));
  if (sorted.length > shown.length) {
    pairItems.push({
      id: 'pairs:more',
      label: `… and ${sorted.length - shown.length} more`,
      click: () => actions.openDashboard(),
    });
  }
  if (sorted.length === 0)
    pairItems.push({ id: 'pairs:none', label: 'No pairs yet: add one in the dashboard', enabled: false });

  const muted = view.mutedUntil !== undefined;
  const muteMenu: MenuItemConstructorOptions[] = [
    ...MUTE_CHOICES.map((choice) => ({
      id: `mute:${choice}`,
      label: MUTE_LABELS[choice],
      click: () => actions.mute(choice),
    })),
    { type: 'separator' },
    { id: 'mute:off', label: 'Unmute', enabled: muted, click: () => actions.unmute() },
  ];

  const problems = view.problems ?? [];
  const problemItems: MenuItemConstructorOptions[] = problems.map((p) => ({
    id: `problem:${p.kind}`,
    label: `✖ ${p.message.length > 120 ? `${p.message.slice(0, 119)}…` : p.message}`,
    click: () => actions.openDashboard(),
  }));
  const headline = downHeadline(view) ?? trustHeadline(problems);
  return [
    { id: 'summary', label: headline ? `✖ ${headline}` : tooltipText(view.pairs).replace('\n', ' — '), enabled: false },
    ...(view.remote && !view.remote.down
      ? [{ id: 'remote', label: `Attached to ${view.remote.url}`, enabled: false } as MenuItemConstructorOptions]
      : []),
    ...problemItems,
    { type: 'separator' },
    ...pairItems,
    { type: 'separator' },
    { id: 'open', label: 'Open dashboard', click: () => actions.openDashboard() },
    {
      id: 'mute',
      label: muted ? `Notifications muted until ${clock(view.mutedUntil!)}` : 'Mute notifications',
      submenu: muteMenu,
    },
    {
      id: 'login',
      label: 'Start at login',
      type: 'checkbox',
      checked: view.openAtLogin,
      click: (item) => actions.setOpenAtLogin(item.checked),
    },
    { type: 'separator' },
    {
      id: 'quit',
      label: view.remote ? 'Quit (the service keeps watching)…' : 'Quit (stops the watchers)…',
      click: () => actions.quit(),
    },
  ];
}

/** The part of Electron's Tray this service uses. */
export interface TrayLike {
  setImage(image: NativeImage | string): void;
  setToolTip(text: string): void;
  setContextMenu(menu: Menu | null): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
  isDestroyed(): boolean;
}

export interface TrayServiceDeps {
  createTray(image: NativeImage | string): TrayLike;
  buildMenu(template: MenuItemConstructorOptions[]): Menu;
  iconFor(level: TrayLevel): NativeImage | string;
  actions: TrayActions;
}

export class TrayService {
  private readonly tray: TrayLike;
  private level: TrayLevel;

  constructor(
    private readonly deps: TrayServiceDeps,
    initial: TrayView,
  ) {
    this.level = trayLevel(initial);
    this.tray = deps.createTray(deps.iconFor(this.level));
    // Windows and macOS open the dashboard on a click; Linux shows the menu instead.
    this.tray.on('click', () => deps.actions.openDashboard());
    this.render(initial);
  }

  get currentLevel(): TrayLevel {
    return this.level;
  }

  update(view: TrayView): void {
    if (this.tray.isDestroyed()) return;
    const level = trayLevel(view);
    if (level !== this.level) {
      this.level = level;
      this.tray.setImage(this.deps.iconFor(level));
    }
    this.render(view);
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private render(view: TrayView): void {
    this.tray.setToolTip(trayTooltip(view));
    this.tray.setContextMenu(this.deps.buildMenu(buildTrayMenuTemplate(view, this.deps.actions)));
  }
}

/** Tray icon files in resources/: one per level, with @2x variants Electron picks up by itself. */
export function trayIconFile(level: TrayLevel, platform: NodeJS.Platform): string {
  // Linux panels draw tray icons at 22-32 px; Windows and macOS at 16 pt.
  return platform === 'linux' ? `tray-${level}-32.png` : `tray-${level}.png`;
}
