// What this screen's token may do (GET /api/whoami): the dashboard disables what its role cannot do and
// says why. The desktop app in local mode has no whoami and may do everything, as before.

import { ROLES, type Backend, type Role, type WhoAmI } from '$shared/api';
import type { TwoPersonAction } from '$shared/two-person';

export class AccessStore {
  identity = $state.raw<WhoAmI | undefined>(undefined);

  constructor(private readonly backend: Backend) {}

  async load(): Promise<void> {
    if (!this.backend.whoami) return;
    try {
      this.identity = await this.backend.whoami();
    } catch {
      // A refused token shows as the token prompt; an old service without whoami allows what it allows.
    }
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
    const who = this.identity
      ? `Your token “${this.identity.name}” has role ${this.role}`
      : `Your role is ${this.role}`;
    return `${who}; this needs role ${need}.`;
  }

  /** Whether `<policy two-person>` holds this move for a second operator. */
  needsSecond(action: TwoPersonAction): boolean {
    return this.identity?.twoPerson.includes(action) === true;
  }
}
