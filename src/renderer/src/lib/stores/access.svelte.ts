// Who this screen acts as (the token's name and role, GET /api/whoami, or main's answer in the desktop
// app) and, in the desktop app, which service it is attached to. The views disable what the role
// cannot do and say why; a host that cannot say (an older service: 404) is the admin token.

import type { Backend } from '$shared/api';
import { roleAllows, type RemoteConnection, type Role, type WhoAmI } from '$shared/remote';

/** What each operator action needs (issue 15: operator acts on pairs, admin changes settings). */
export const ACTION_ROLE = {
  failover: 'operator',
  rearm: 'operator',
  pause: 'operator',
  resume: 'operator',
  retry: 'operator',
  settings: 'admin',
} as const satisfies Record<string, Role>;

export type Guarded = keyof typeof ACTION_ROLE;

export class AccessStore {
  who = $state.raw<WhoAmI | undefined>(undefined);
  /** 'local' in a browser and in the desktop's local mode. */
  remote = $state.raw<RemoteConnection>('local');
  private off: (() => void) | undefined;

  constructor(private readonly backend: Backend) {}

  start(): void {
    this.off ??= this.backend.onRemote?.((c) => (this.remote = c));
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  async load(): Promise<void> {
    try {
      this.who = (await this.backend.whoami?.()) ?? { name: '', role: 'admin' };
    } catch {
      // Unknown (the service is unreachable, the token refused): nothing is disabled for it; the service decides.
      this.who = undefined;
    }
  }

  get role(): Role | undefined {
    return this.who?.role;
  }

  /** Whether this screen may do it; true while the role is not known (the service still refuses). */
  may(action: Guarded): boolean {
    return this.who === undefined || roleAllows(this.who.role, ACTION_ROLE[action]);
  }

  /** Why a disabled control is disabled, for its title and the note beside it. */
  why(action: Guarded): string | undefined {
    if (this.may(action)) return undefined;
    const name = this.who?.name ? `The token "${this.who.name}"` : 'This token';
    return `${name} has role ${this.who!.role}: this needs role ${ACTION_ROLE[action]}.`;
  }
}
