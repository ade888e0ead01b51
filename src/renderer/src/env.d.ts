/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { DesktopBridge } from '$shared/ipc';
import type { PerfRecord } from './lib/perf';

declare global {
  interface Window {
    /** Present only in the Electron window (exposed by the preload). */
    pbxMonitor?: DesktopBridge;
    /** Timings for the benchmark; see lib/perf.ts. */
    __pbxPerf?: PerfRecord;
    /**
     * The pair list public/boot.js requested before the bundle ran (browser only); null once the app
     * has taken it or asked for the list itself.
     */
    __pbxFirstPairs?: { token: string; response: Promise<Response> } | null;
  }
}

export {};
