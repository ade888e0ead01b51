// Not a test: `node --import tsx test/e2e/dev-fixture.ts` starts the headless service with a few
// loopback pairs, for looking at the dashboard by hand. Prints the dashboard address.
import { HttpFixture } from '../helpers/http-fixtures.js';
import { startTestService } from '../helpers/service-harness.js';
import { pairXml } from './dashboard-harness.js';

const rendererDir = process.argv[2];
const validation = await HttpFixture.start({ status: 200 });
const action = await HttpFixture.start({ status: 200 });
const primaries = await Promise.all(Array.from({ length: 8 }, () => HttpFixture.start({ status: 200 })));
const names = [
  'ACME Corp',
  'Globex',
  'Initech',
  'Umbrella Health',
  'Stark Logistics',
  'Wayne Hotels',
  'Hooli Sales',
  'Vandelay Import',
];
const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<pbxctrl-failover version="1">\n${primaries
  .map((p, i) =>
    pairXml({
      id: names[i]!.toLowerCase().replace(/[^a-z]+/g, '-'),
      name: names[i]!,
      primaryUrl: p.url('/'),
      standbyUrl: i % 3 === 0 ? validation.url('/standby') : undefined,
      interval: 0.5,
      tolerated: 3,
      validationUrl: validation.url('/'),
      actionUrl: action.url('/dns'),
    }),
  )
  .join('\n')}\n</pbxctrl-failover>\n`;
const service = await startTestService({
  xml,
  ...(rendererDir ? { rendererDir } : {}),
  port: Number(process.env.PORT ?? 0),
});
console.log(service.dashboardUrl);
process.on('SIGTERM', () => void service.dispose().then(() => process.exit(0)));
// Make a couple of pairs interesting.
setTimeout(() => void primaries[1]!.refuse(), 3000);
setTimeout(() => primaries[3]!.setStatus(503), 20000);
setTimeout(() => void primaries[3]!.accept(), 26000);
