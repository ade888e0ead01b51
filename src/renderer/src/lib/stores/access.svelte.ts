// Who this screen acts as (GET /api/whoami in a browser, main's answer in the desktop app attached to a
// service) and, in the desktop app, which service it is attached to. The dashboard disables what the
// role cannot do and says why. A host that cannot say (the desktop's local mode, an older service
// answering 404) is the admin token and may do everything, as before roles.

import { ROLES, type Backend, type Role, type WhoAmI } from '$shared/api';
import type { RemoteConnection } from '$shared/remote';
import type { TwoPersonAction } from '$shared/two-person';

export class AccessStore {
  identity = $state.raw<WhoAmI | undefined>(undefined);
  /** 'local' in a browser and in the desktop's local mode. */
  remote = $state.raw<RemoteConnection>('local');
  private off: (() => void) | undefined;

  constructor(private readonly backend: Backend) {}

  /** Follow the desktop's connection to its service (no-op elsewhere). */
  start(): void {
    this.off ??= this.backend.onRemote?.((c) => (this.remote = c));
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  async load(): Promise<void> {
    if (!this.backend.whoami) return;
    try {
      this.identity = await this.backend.whoami();
    } catch {
      // A refused token shows as the token prompt; an unreachable service decides for itself.
    }
  }

  /** The token's name and role, as `who` (the header's name for it). */
  get who(): WhoAmI | undefined {
    return this.identity;
  }

  get role(): Role {
    return this.identity?.role ?? 'admin';
  }

  can(need: Role): boolean {
    return ROLES.indexOf(this.role) >= ROLES.indexOf(need);
  }

  /** Why this screen cannot do what needs `need`, or undefined when it can. */
  why(need: Role): string | undefined {
    if (this.can(need)) return undefined;
    const who = this.identity?.name
      ? `Your token “${this.identity.name}” has role ${this.role}`
      : `Your role is ${this.role}`;
    return `${who}; this needs role ${need}.`;
  }

  /** Whether `<policy two-person>` holds this move for a second operator. */
  needsSecond(action: TwoPersonAction): boolean {
    return this.identity?.twoPerson?.includes(action) === true;
  }
}
