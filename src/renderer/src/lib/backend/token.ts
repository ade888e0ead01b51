// The service prints the dashboard's address with the API token in the fragment
// (`#token=…`), which never reaches a server log. Keep it for this browser
// session only and take it out of the address bar, so it is not bookmarked or shared.

const KEY = 'pbx-monitor-token';

export function takeTokenFromLocation(loc: Location = location, store: Storage = sessionStorage): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (match) {
    const token = decodeURIComponent(match[1]!);
    store.setItem(KEY, token);
    history.replaceState(history.state, '', loc.pathname + loc.search);
    return token;
  }
  return store.getItem(KEY) ?? undefined;
}

export function saveToken(token: string, store: Storage = sessionStorage): void {
  store.setItem(KEY, token);
}
