// The headless service, exactly as `serve` starts it, in its own process so the
// browser and the benchmark do not share its event loop.

import { silentLogger } from '../src/core/ports.js';
import { startService, type RunningService } from '../src/server/service.js';
import { serveCommands } from './child.js';

let service: RunningService | undefined;

async function start(args: { serverdir: string; rendererDir: string }): Promise<{ url: string; dashboardUrl: string }> {
  service = await startService({
    serverdir: args.serverdir,
    rendererDir: args.rendererDir,
    port: 0,
    log: silentLogger,
  });
  return { url: service.url, dashboardUrl: service.dashboardUrl };
}

serveCommands({ start }, async () => {
  await service?.close();
});
