// What the shell shows of remote mode's connection: the window's title and header (sent on
// REMOTE_CHANNEL), a tray that turns "disconnected" when the stream stays lost for a few seconds,
// and a notification when it is lost, when it comes back and when the token is refused. Plain
// Node: the shell passes in what it shows with.

import type { Unsubscribe } from '../../shared/api.js';
import type { RemoteConnection } from '../../shared/remote.js';

/** A stream that comes back within this long (a service restart, a node switch) shows no loss. */
export const DISCONNECT_GRACE_MS = 5_000;

export interface ConnectionSource {
  readonly connection: RemoteConnection;
  onConnection(listener: (c: RemoteConnection) => void): Unsubscribe;
}

/** What the tray shows of the connection: nothing while it is fine or only just lost. */
export type TrayConnection = { url: string; down?: 'lost' | 'rejected' };

export interface ConnectionWatchDeps {
  source: ConnectionSource;
  /** The connection for the window (its title and header). */
  send(c: RemoteConnection): void;
  /** The tray's view of the connection changed. */
  trayChanged(): void;
  notify(title: string, body: string, severity: 'critical' | 'info'): void;
  /** The stream is live again after a loss: refresh what may have been missed. */
  resync(): void;
  graceMs?: number;
}

export function windowTitle(c: RemoteConnection): string {
  if (c === 'local') return 'PBX Failover Monitor';
  const state = c.rejected ? 'token rejected' : c.live ? 'live' : 'no contact';
  return `PBX Failover Monitor — ${c.url} (${state})`;
}

export class ConnectionWatch {
  private shownDown: 'lost' | 'rejected' | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private wasLive = false;
  private readonly off: Unsubscribe;

  constructor(private readonly d: ConnectionWatchDeps) {
    this.off = d.source.onConnection((c) => this.onChange(c));
    this.onChange(d.source.connection);
  }

  get tray(): TrayConnection | undefined {
    const c = this.d.source.connection;
    if (c === 'local') return undefined;
    return this.shownDown ? { url: c.url, down: this.shownDown } : { url: c.url };
  }

  dispose(): void {
    this.off();
    clearTimeout(this.graceTimer);
  }

  private onChange(c: RemoteConnection): void {
    this.d.send(c);
    if (c === 'local') return;
    if (c.rejected) {
      clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
      if (this.shownDown !== 'rejected') {
        this.shownDown = 'rejected';
        this.d.notify(
          'PBX Failover Monitor: token rejected',
          `${c.url} refused the token (revoked or wrong): nothing is shown live any more. Set a new token in Settings.`,
          'critical',
        );
      }
      this.d.trayChanged();
      return;
    }
    if (c.live) {
      clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
      const wasDown = this.shownDown !== undefined;
      this.shownDown = undefined;
      if (wasDown)
        this.d.notify('PBX Failover Monitor: connected again', `The event stream of ${c.url} is live again.`, 'info');
      if (this.wasLive) this.d.resync();
      this.wasLive = true;
      this.d.trayChanged();
      return;
    }
    // Lost (or still connecting): shown only when it lasts.
    if (this.graceTimer || this.shownDown) return;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      const now = this.d.source.connection;
      if (now === 'local' || now.live || now.rejected) return;
      this.shownDown = 'lost';
      this.d.notify(
        'PBX Failover Monitor: no contact with the service',
        `The event stream of ${now.url} is lost; the tray and the window show the last known states until it is back.`,
        'critical',
      );
      this.d.trayChanged();
    }, this.d.graceMs ?? DISCONNECT_GRACE_MS);
    this.graceTimer.unref?.();
  }
}
