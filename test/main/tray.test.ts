import { describe, expect, it, vi } from 'vitest';
import type { Menu, MenuItemConstructorOptions } from 'electron';
import {
  TRAY_MENU_PAIRS_MAX,
  TrayService,
  buildTrayMenuTemplate,
  trayIconFile,
  type TrayActions,
  type TrayLike,
} from '../../src/main/tray.js';
import { HEALTH_LEVELS } from '../../src/shared/health.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pair } from './fixtures.js';

function recordingActions() {
  const log: string[] = [];
  const actions: TrayActions = {
    openDashboard: () => log.push('open'),
    showPair: (id) => log.push(`pair:${id}`),
    mute: (c) => log.push(`mute:${c}`),
    unmute: () => log.push('unmute'),
    setOpenAtLogin: (on) => log.push(`login:${on}`),
    quit: () => log.push('quit'),
  };
  return { actions, log };
}

const byId = (items: MenuItemConstructorOptions[], id: string) => items.find((i) => i.id === id);
const click = (item: MenuItemConstructorOptions | undefined, checked = false) =>
  (item!.click as unknown as (i: { checked: boolean }) => void)({ checked });

describe('tray menu', () => {
  const pairs = [
    pair('acme', 'waiting', { name: 'ACME Corp' }),
    pair('globex', 'failover', { name: 'Globex', primaryAnswering: true }),
    pair('initech', 'verifying', { name: 'Initech', standbyDown: true }),
  ];

  it('lists each pair worst first with its state in words, and a click opens that pair', () => {
    const { actions, log } = recordingActions();
    const menu = buildTrayMenuTemplate({ pairs, openAtLogin: false }, actions);
    const pairItems = menu.filter((i) => i.id?.startsWith('pair:'));
    expect(pairItems.map((i) => i.label)).toEqual([
      '✖ Globex — failover (primary answers again)',
      '▲ Initech — verifying (standby down)',
      '✔ ACME Corp — waiting',
    ]);
    click(pairItems[1]);
    expect(log).toEqual(['pair:initech']);
  });

  it('has Open dashboard, the mute choices, Start at login and a Quit that names what it stops', () => {
    const { actions, log } = recordingActions();
    const menu = buildTrayMenuTemplate({ pairs, openAtLogin: true }, actions);
    click(byId(menu, 'open'));
    const mute = byId(menu, 'mute')!;
    expect(mute.label).toBe('Mute notifications');
    const sub = mute.submenu as MenuItemConstructorOptions[];
    expect(sub.filter((i) => i.label).map((i) => i.label)).toEqual([
      'For 1 hour',
      'For 4 hours',
      'Until tomorrow 08:00',
      'Unmute',
    ]);
    expect(byId(sub, 'mute:off')!.enabled).toBe(false);
    click(byId(sub, 'mute:4h'));
    const login = byId(menu, 'login')!;
    expect(login).toMatchObject({ type: 'checkbox', checked: true });
    click(login, false);
    const quit = byId(menu, 'quit')!;
    expect(quit.label).toMatch(/stops the watchers/);
    click(quit);
    expect(log).toEqual(['open', 'mute:4h', 'login:false', 'quit']);
    expect(menu.indexOf(quit)).toBe(menu.length - 1);
  });

  it('shows until when notifications are muted and offers to unmute', () => {
    const { actions, log } = recordingActions();
    const until = new Date(2026, 10, 27, 14, 5).getTime();
    const menu = buildTrayMenuTemplate({ pairs, openAtLogin: false, mutedUntil: until }, actions);
    expect(byId(menu, 'mute')!.label).toBe('Notifications muted until 14:05');
    const off = byId(byId(menu, 'mute')!.submenu as MenuItemConstructorOptions[], 'mute:off')!;
    expect(off.enabled).toBe(true);
    click(off);
    expect(log).toEqual(['unmute']);
  });

  it('keeps a long list short and points to the dashboard for the rest', () => {
    const { actions } = recordingActions();
    const many = Array.from({ length: TRAY_MENU_PAIRS_MAX + 7 }, (_, i) =>
      pair(`p${String(i).padStart(2, '0')}`, 'waiting'),
    );
    many.push(pair('zz-down', 'failover'));
    const menu = buildTrayMenuTemplate({ pairs: many, openAtLogin: false }, actions);
    const listed = menu.filter((i) => i.id?.startsWith('pair:'));
    expect(listed).toHaveLength(TRAY_MENU_PAIRS_MAX);
    expect(listed[0]!.id).toBe('pair:zz-down');
    expect(byId(menu, 'pairs:more')!.label).toBe('… and 8 more');
  });

  it('says so when there are no pairs', () => {
    const menu = buildTrayMenuTemplate({ pairs: [], openAtLogin: false }, recordingActions().actions);
    expect(byId(menu, 'pairs:none')).toMatchObject({ enabled: false });
  });
});

describe('tray service', () => {
  function fakeTray() {
    const calls: Array<[string, unknown]> = [];
    let destroyed = false;
    const tray: TrayLike = {
      setImage: (img) => calls.push(['image', img]),
      setToolTip: (t) => calls.push(['tooltip', t]),
      setContextMenu: (m) => calls.push(['menu', m]),
      on: (_e, fn) => calls.push(['on-click', fn]),
      destroy: () => {
        destroyed = true;
      },
      isDestroyed: () => destroyed,
    };
    return { tray, calls };
  }

  it('is created through its factory with the icon of the worst state and changes icon only when the level changes', () => {
    const { tray, calls } = fakeTray();
    const createTray = vi.fn(() => tray);
    const service = new TrayService(
      {
        createTray,
        buildMenu: (t) => t as unknown as Menu,
        iconFor: (level) => `icon-${level}`,
        actions: recordingActions().actions,
      },
      { pairs: [pair('a', 'waiting')], openAtLogin: false },
    );
    expect(createTray).toHaveBeenCalledWith('icon-ok');
    expect(calls.find(([k]) => k === 'tooltip')![1]).toBe('PBX Failover Monitor: All pairs watched\n1 watched');

    service.update({ pairs: [pair('a', 'failover')], openAtLogin: false });
    service.update({ pairs: [pair('a', 'failover'), pair('b', 'waiting')], openAtLogin: false });
    expect(calls.filter(([k]) => k === 'image').map(([, v]) => v)).toEqual(['icon-critical']);
    expect(service.currentLevel).toBe('critical');
    const menus = calls.filter(([k]) => k === 'menu');
    expect(menus).toHaveLength(3);
    service.destroy();
    service.update({ pairs: [], openAtLogin: false });
    expect(calls.filter(([k]) => k === 'menu')).toHaveLength(3);
  });

  it('has an icon file for every level, at both sizes and @2x', () => {
    for (const level of HEALTH_LEVELS) {
      for (const platform of ['linux', 'win32', 'darwin'] as const) {
        const file = join(import.meta.dirname, '../../resources', trayIconFile(level, platform));
        expect(existsSync(file), file).toBe(true);
        expect(existsSync(file.replace(/\.png$/, '@2x.png')), file).toBe(true);
      }
    }
  });
});

describe('tray when the engine cannot be trusted', () => {
  it('shows the worst icon and says "state cannot be saved" even when every pair is fine, and goes back when it is over', () => {
    const { actions, log } = recordingActions();
    const images: string[] = [];
    let tooltip = '';
    let template: MenuItemConstructorOptions[] = [];
    const fakeTray: TrayLike = {
      setImage: (i) => void images.push(String(i)),
      setToolTip: (t) => void (tooltip = t),
      setContextMenu: () => {},
      on: () => fakeTray,
      destroy: () => {},
      isDestroyed: () => false,
    };
    const service = new TrayService(
      {
        createTray: (i) => (images.push(String(i)), fakeTray),
        buildMenu: (t) => ((template = t), {} as Menu),
        iconFor: (level) => `tray-${level}.png`,
        actions,
      },
      { pairs: [pair('acme', 'waiting')], openAtLogin: false },
    );
    expect(service.currentLevel).toBe('ok');
    const problem = {
      kind: 'state-write' as const,
      message: 'pbxctrl-failover.xml cannot be written: EACCES',
      since: '2026-12-02T17:00:00.000Z',
    };
    service.update({ pairs: [pair('acme', 'waiting')], openAtLogin: false, problems: [problem] });
    expect(service.currentLevel).toBe('critical');
    expect(images.at(-1)).toBe('tray-critical.png');
    expect(tooltip).toBe('PBX Failover Monitor: state cannot be saved\n1 watched');
    expect(template[0]!.label).toBe('✖ state cannot be saved');
    const item = byId(template, 'problem:state-write')!;
    expect(item.label).toContain('EACCES');
    click(item);
    expect(log).toEqual(['open']);
    service.update({ pairs: [pair('acme', 'waiting')], openAtLogin: false, problems: [] });
    expect(images.at(-1)).toBe('tray-ok.png');
    expect(tooltip).toBe('PBX Failover Monitor: All pairs watched\n1 watched');
  });
});
