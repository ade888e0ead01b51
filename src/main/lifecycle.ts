// How the app lives: one instance per user, the window hides to the tray,
// quitting stops the engine cleanly (writes finished, lock released) before
// the process exits.

import type { App, BrowserWindow } from 'electron';
import { secondInstanceResponse, startupDecision } from './policy/single-instance.js';

type AppLike = Pick<App, 'requestSingleInstanceLock' | 'on' | 'exit'>;

/** False when another instance runs: that one is brought to the front and this one must quit. */
export function claimSingleInstance(app: AppLike): boolean {
  return startupDecision(app.requestSingleInstanceLock()).run;
}

export function onSecondInstance(
  app: Pick<App, 'on'>,
  currentServerdir: () => string,
  reveal: () => void,
  notice: (text: string) => void,
): void {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const answer = secondInstanceResponse(currentServerdir(), argv, workingDirectory);
    reveal();
    if (answer.notice) notice(answer.notice);
  });
}

export interface QuitState {
  quitting: boolean;
}

/**
 * Closing the window keeps the watchers running; the first time, a hint says where they went. With
 * "close to tray" off the window stays and `askQuit` asks whether to quit (quitting stops every watcher).
 */
export function hideOnClose(
  win: Pick<BrowserWindow, 'on' | 'hide'>,
  state: QuitState,
  firstHide: () => void,
  toTray: () => boolean = () => true,
  askQuit: () => void = () => {},
): void {
  let hinted = false;
  win.on('close', (event) => {
    if (state.quitting) return;
    event.preventDefault();
    if (!toTray()) return askQuit();
    win.hide();
    if (!hinted) {
      hinted = true;
      firstHide();
    }
  });
}

/**
 * before-quit: hold the quit once, close the engine (it finishes writes and releases the serverdir lock),
 * then exit. A failed close exits with 1 so a supervisor notices.
 */
export function closeEngineOnQuit(
  app: Pick<App, 'on' | 'exit'>,
  state: QuitState,
  close: () => Promise<void>,
  report: (err: unknown) => void,
): void {
  let closing = false;
  app.on('before-quit', (event) => {
    state.quitting = true;
    event.preventDefault();
    if (closing) return;
    closing = true;
    close().then(
      () => app.exit(0),
      (err: unknown) => {
        report(err);
        app.exit(1);
      },
    );
  });
  // The tray keeps the app alive without windows; only Quit ends it.
  app.on('window-all-closed', () => {});
}
