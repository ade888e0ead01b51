// Not a test: `node --import tsx test/e2e/dev-many.ts <rendererDir> <pairs>` starts the service with many
// pairs on one loopback primary at a 1 s interval, for measuring the dashboard by hand.
import { HttpFixture } from '../helpers/http-fixtures.js';
import { startTestService } from '../helpers/service-harness.js';
import { configXml } from './dashboard-harness.js';

const [rendererDir, count = '1000'] = process.argv.slice(2);
const primary = await HttpFixture.start({ status: 200 });
const action = await HttpFixture.start({ status: 200 });
const pairs = Array.from({ length: Number(count) }, (_, i) => ({
  id: `pair-${String(i).padStart(4, '0')}`,
  name: `Customer ${i}`,
  primaryUrl: primary.url(`/p${i}`),
  interval: 1,
  tolerated: 3,
  actionUrl: action.url('/dns'),
}));
const service = await startTestService({
  xml: configXml(pairs),
  ...(rendererDir ? { rendererDir } : {}),
  port: Number(process.env.PORT ?? 0),
});
console.log(service.dashboardUrl);
process.on('SIGTERM', () => void service.dispose().then(() => process.exit(0)));
