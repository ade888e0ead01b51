// Every view but the overview is its own chunk: the first screen loads, parses and runs only what
// it shows. Each loader keeps its promise, so a view is fetched once and later visits render at once.

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

/** Fetch the other views once the first screen is up, so a click on a pair does not wait for the network. */
export function prefetchViews(): void {
  const load = () => {
    for (const view of Object.values(views)) void view().catch(() => undefined);
  };
  // Well after the first screen, so parsing them cannot delay the first interaction.
  setTimeout(
    () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(load, { timeout: 2000 }) : load()),
    1500,
  );
}
