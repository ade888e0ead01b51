// The Content-Security-Policy of the app's own pages. It repeats the meta tag
// in src/renderer/index.html (which applies wherever the page is loaded from) and
// adds frame-ancestors, which only works as a header: app:// answers send it
// (./app-files.ts), and so does the dev server's page (../window.ts).

export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte writes style attributes from templates; no script can come in this way.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export const CSP_HEADER_VALUE = `${RENDERER_CSP}; frame-ancestors 'none'`;

/** Response headers with the CSP set, replacing any the server sent (any case). */
export function withCsp(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [CSP_HEADER_VALUE];
  return out;
}
