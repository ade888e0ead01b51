// Where the service listens and how a person on this machine reaches it.

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8480;

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Where a browser on this machine reaches a server bound to `host`. */
export function displayHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === '0.0.0.0' || h === '') return '127.0.0.1';
  if (h === '::') return '[::1]';
  return h.includes(':') ? `[${h}]` : h;
}
