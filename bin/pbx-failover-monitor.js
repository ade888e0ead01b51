#!/usr/bin/env node
// The installed command: runs the compiled command line (npm run build:node writes out/node/).
let cli;
try {
  cli = await import('../out/node/server/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  process.stderr.write('pbx-failover-monitor: not built yet; run `npm run build` first\n');
  process.exit(1);
}
process.exit(await cli.runCli(process.argv.slice(2)));
