// Every view but the overview is its own chunk: the first screen loads, parses and runs only what
// it shows. Each loader keeps its promise, so a view is fetched once and later visits render at once.

import { parseRoute } from './stores/router.svelte';

function once<M>(load: () => Promise<M>): () => Promise<M> {
  let loaded: Promise<M> | undefined;
  return () => {
    // A failed fetch (connection lost) is retried on the next visit.
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
}

export const views = {
  pair: once(() => import('./components/detail/PairDetail.svelte')),
  notifications: once(() => import('./components/Notifications.svelte')),
  audit: once(() => import('./components/AuditLog.svelte')),
  edit: once(() => import('./components/editor/PairEditor.svelte')),
  import: once(() => import('./components/ImportExport.svelte')),
  maintenance: once(() => import('./components/maintenance/MaintenanceView.svelte')),
  settings: once(() => import('./components/DesktopSettingsView.svelte')),
};

type ViewName = keyof typeof views;

/** The view a link of the dashboard opens (`#/pair/acme` is the pair view); undefined for the overview or another page. */
export function viewOfHref(href: string | null): ViewName | undefined {
  if (!href?.startsWith('#')) return undefined;
  const view = parseRoute(href).view;
  return view === 'overview' ? undefined : view;
}

/**
 * Load a view when the operator heads for a link to it (pointer over it, or focus on it from the
 * keyboard), not all views at once after the first screen: parsing them all costs the main thread
 * some 250 ms in the seconds after the first screen, while live updates are already arriving, for
 * views mostly never opened. The pointer rests on a link for a good 100 ms before the click, time
 * enough to fetch the chunk from the service. Returns the function that stops listening.
 */
export function prefetchOnIntent(target: Pick<Document, 'addEventListener' | 'removeEventListener'>): () => void {
  const onIntent = (e: Event) => {
    const link = e.target instanceof Element ? e.target.closest('a[href]') : null;
    const view = viewOfHref(link?.getAttribute('href') ?? null);
    if (view) void views[view]().catch(() => undefined);
  };
  const types = ['pointerover', 'focusin'] as const;
  for (const type of types) target.addEventListener(type, onIntent, { passive: true });
  return () => {
    for (const type of types) target.removeEventListener(type, onIntent);
  };
}
