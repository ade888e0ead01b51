// A stand-in for the Electron runtime for shell tests: windows, trays, notifications, dialogs and
// IPC handlers are recorded so a test can read back what the shell showed. Used as
// `vi.mock('electron', async () => (await import('./electron-fake.js')).electronModule())`;
// `fake` is the same object the test and the mocked module see.

import { EventEmitter } from 'node:events';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fakes of Electron objects, read back field by field
export type Fake = Record<string, any>;

export const fake = {
  windows: [] as Fake[],
  trays: [] as Fake[],
  notifications: [] as Fake[],
  handlers: new Map<string, (...args: unknown[]) => Promise<unknown>>(),
  dialogs: [] as unknown[],
  /** The button the operator presses in the next message box. */
  dialogAnswer: 0,
};

class WebContents extends EventEmitter {
  sent: Array<[string, unknown]> = [];
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
  setWindowOpenHandler() {}
  isLoading() {
    return false;
  }
}

class BrowserWindow extends EventEmitter {
  webContents = new WebContents();
  visible = false;
  title: string;
  constructor(public options: Record<string, unknown>) {
    super();
    this.title = String(options.title ?? '');
    fake.windows.push(this as unknown as Fake);
  }
  loadURL() {
    return Promise.resolve();
  }
  setTitle(title: string) {
    this.title = title;
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  isDestroyed() {
    return false;
  }
}

class Tray extends EventEmitter {
  images: string[] = [];
  tooltip = '';
  menu: unknown;
  destroyed = false;
  constructor(image: string) {
    super();
    this.images.push(image);
    fake.trays.push(this as unknown as Fake);
  }
  setImage(image: string) {
    this.images.push(image);
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  setContextMenu(menu: unknown) {
    this.menu = menu;
  }
  destroy() {
    this.destroyed = true;
  }
  isDestroyed() {
    return this.destroyed;
  }
}

class Notification extends EventEmitter {
  shown = false;
  constructor(public options: { title: string; body: string }) {
    super();
    fake.notifications.push(this as unknown as Fake);
  }
  static isSupported() {
    return true;
  }
  show() {
    this.shown = true;
  }
  close() {}
}

export function electronModule() {
  return {
    BrowserWindow,
    Tray,
    Notification,
    Menu: { buildFromTemplate: (template: unknown) => ({ template }) },
    dialog: {
      showMessageBox: async (...args: unknown[]) => {
        fake.dialogs.push(args.at(-1));
        return { response: fake.dialogAnswer };
      },
      showSaveDialog: async () => ({ canceled: true }),
    },
    protocol: { handle: () => {} },
    ipcMain: {
      handle: (channel: string, fn: (...args: unknown[]) => Promise<unknown>) => fake.handlers.set(channel, fn),
      removeHandler: (channel: string) => fake.handlers.delete(channel),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler() {},
        setPermissionCheckHandler() {},
        webRequest: { onHeadersReceived() {} },
      },
    },
    shell: { openExternal: async () => {} },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: () => Buffer.alloc(0),
      decryptString: () => '',
    },
  };
}

/** An Electron App as far as the shell uses it. */
export function fakeApp() {
  const app = new EventEmitter() as EventEmitter & Fake;
  app.exitCodes = [] as number[];
  app.relaunches = 0;
  app.exit = (code: number) => app.exitCodes.push(code);
  app.quit = () => app.emit('before-quit', { preventDefault() {} });
  app.relaunch = () => app.relaunches++;
  app.setLoginItemSettings = () => {};
  app.isPackaged = true;
  app.getPath = (name: string) => {
    throw new Error(`no ${name} folder in the test`);
  };
  return app;
}
