// Views live in the URL fragment, so a reload (or the Electron window) comes back to the same place.

export type Route =
  | { view: 'overview' }
  | { view: 'pair'; id: string }
  | { view: 'notifications' }
  | { view: 'audit' }
  | { view: 'edit'; id?: string; copyOf?: string }
  | { view: 'import' }
  /** The maintenance windows. */
  | { view: 'maintenance' }
  /** The desktop app's own settings; a browser shows the overview there. */
  | { view: 'settings' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'pair':
      return parts[1] ? { view: 'pair', id: parts[1] } : { view: 'overview' };
    case 'notifications':
      return { view: 'notifications' };
    case 'audit':
      return { view: 'audit' };
    case 'new':
      return { view: 'edit' };
    case 'edit':
      return parts[1] ? { view: 'edit', id: parts[1] } : { view: 'edit' };
    case 'copy':
      return parts[1] ? { view: 'edit', copyOf: parts[1] } : { view: 'edit' };
    case 'import':
      return { view: 'import' };
    case 'maintenance':
      return { view: 'maintenance' };
    case 'settings':
      return { view: 'settings' };
    default:
      return { view: 'overview' };
  }
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'overview':
      return '#/';
    case 'pair':
      return `#/pair/${encodeURIComponent(route.id)}`;
    case 'edit':
      if (route.id) return `#/edit/${encodeURIComponent(route.id)}`;
      if (route.copyOf) return `#/copy/${encodeURIComponent(route.copyOf)}`;
      return '#/new';
    default:
      return `#/${route.view}`;
  }
}

/** The header's link for the page a route shows; none for a pair's own pages (detail, edit), which have no link. */
export type NavSection = 'overview' | 'notifications' | 'audit' | 'import' | 'maintenance' | 'settings' | 'new';

export function navSectionOf(route: Route): NavSection | undefined {
  switch (route.view) {
    case 'pair':
      return undefined;
    case 'edit':
      // Editing an existing pair is not "Add pair"; a duplicate is a new pair.
      return route.id ? undefined : 'new';
    default:
      return route.view;
  }
}

/** Something on the page would be lost by leaving it (unsaved editor changes). */
export type LeaveGuard = () => boolean;

export class Router {
  route = $state<Route>({ view: 'overview' });
  /** A navigation held back because the page has unsaved changes; the page asks the operator. */
  pending = $state.raw<Route | undefined>(undefined);
  #guard: LeaveGuard | undefined;

  constructor(private readonly win: Window | undefined = typeof window === 'undefined' ? undefined : window) {
    if (!win) return;
    this.route = parseRoute(win.location.hash);
    win.addEventListener('hashchange', () => this.arrive(parseRoute(win.location.hash)));
  }

  go(route: Route): void {
    if (hrefOf(route) === hrefOf(this.route)) return this.show(route);
    if (this.#guard?.()) {
      this.pending = route;
      return;
    }
    this.show(route);
  }

  /**
   * While `isDirty` answers true, leaving the page (a link, the back button, `go`) is held back in
   * `pending` until `leave()` or `stay()`. Returns the release, for when the page goes away.
   */
  guardLeaving(isDirty: LeaveGuard): () => void {
    this.#guard = isDirty;
    return () => {
      if (this.#guard === isDirty) this.#guard = undefined;
      this.pending = undefined;
    };
  }

  /** The operator chose to leave and lose the changes. */
  leave(): void {
    const to = this.pending;
    this.pending = undefined;
    this.#guard = undefined;
    if (to) this.show(to);
  }

  stay(): void {
    this.pending = undefined;
  }

  private show(route: Route): void {
    this.route = route;
    if (this.win && this.win.location.hash !== hrefOf(route)) this.win.location.hash = hrefOf(route);
  }

  // The address already changed (a link or the back button): held back, it is put back to the page
  // still shown, so the address and the highlighted link never name another page.
  private arrive(route: Route): void {
    if (hrefOf(route) === hrefOf(this.route)) return;
    if (this.#guard?.()) {
      this.pending = route;
      this.win?.history.replaceState(this.win.history.state, '', hrefOf(this.route));
      return;
    }
    this.route = route;
  }
}
