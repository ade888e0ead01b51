// Views live in the URL fragment, so a reload (or the Electron window) comes back to the same place.

export type Route =
  | { view: 'overview' }
  | { view: 'pair'; id: string }
  | { view: 'notifications' }
  | { view: 'audit' }
  | { view: 'edit'; id?: string; copyOf?: string }
  | { view: 'import' };

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

export class Router {
  route = $state<Route>({ view: 'overview' });

  constructor(private readonly win: Window | undefined = typeof window === 'undefined' ? undefined : window) {
    if (!win) return;
    this.route = parseRoute(win.location.hash);
    win.addEventListener('hashchange', () => (this.route = parseRoute(win.location.hash)));
  }

  go(route: Route): void {
    this.route = route;
    if (this.win && this.win.location.hash !== hrefOf(route)) this.win.location.hash = hrefOf(route);
  }
}
