// The renderer is served as app://renderer/… instead of file://: a standard,
// secure origin of its own, so the page gets no file-system privileges and the
// CSP arrives as a real header. What is answered is decided in
// ./policy/app-files.ts (only files of the built renderer folder).

import type { Protocol } from 'electron';
import { APP_SCHEME } from './policy/app-origin.js';
import { answerAppRequest } from './policy/app-files.js';

/** Must run before the app is ready (Electron's rule for privileged schemes). */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** After ready: answer app:// from the renderer folder. */
export function serveRenderer(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => answerAppRequest(request, rendererDir));
}
