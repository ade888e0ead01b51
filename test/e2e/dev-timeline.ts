// Not a test: `node --import tsx test/e2e/dev-timeline.ts <rendererDir>` starts the service with one pair
// that has 30 days of history (about 130,000 checks), for timing the 30-day timeline by hand.
import { HttpFixture } from '../helpers/http-fixtures.js';
import { startTestService, tempServerdir } from '../helpers/service-harness.js';
import { configXml } from './dashboard-harness.js';
import { writeSyntheticHistory } from './synthetic-history.js';

const [rendererDir] = process.argv.slice(2);
const primary = await HttpFixture.start({ status: 200 });
const action = await HttpFixture.start({ status: 200 });
const serverdir = await tempServerdir('pfm-timeline-');
const now = Date.now();
const day = 86_400_000;
const checks = await writeSyntheticHistory({
  serverdir,
  pair: 'acme',
  name: 'ACME Corp',
  from: now - 30 * day,
  to: now - 60_000,
  checksPerMinute: 3,
  hasStandby: true,
  primaryDown: Array.from({ length: 12 }, (_, i) => ({
    from: now - (i * 2.5 + 1) * day,
    to: now - (i * 2.5 + 1) * day + (20 + i * 7) * 60_000,
  })),
  flaps: Array.from({ length: 400 }, (_, i) => now - ((i * 7919) % (30 * 1440)) * 60_000),
});
const xml = configXml([
  {
    id: 'acme',
    name: 'ACME Corp',
    primaryUrl: primary.url('/'),
    interval: 1,
    tolerated: 3,
    actionUrl: action.url('/dns'),
  },
]);
const service = await startTestService({ serverdir, xml, ...(rendererDir ? { rendererDir } : {}) });
console.log(service.dashboardUrl.replace('#token', '#token') + ` checks=${checks}`);
process.on('SIGTERM', () => void service.dispose().then(() => process.exit(0)));
