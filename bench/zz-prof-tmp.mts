import { LoopbackServers } from '/work/main/bench/loopback.js';
import { benchPairs } from '/work/main/bench/pairs-xml.js';
import { Supervisor } from '/work/main/src/core/supervisor.js';
import { createHttpClient } from '/work/main/src/core/http-client.js';
import { createHistoryStore } from '/work/main/src/core/history.js';
import { silentLogger, systemClock } from '/work/main/src/core/ports.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { validatePairSettings } from '/work/main/src/shared/validate.js';
const mode = process.argv[2] ?? 'bare';
const servers = await LoopbackServers.start();
const ports = await servers.listen(1001);
const pairs = benchPairs(1000, ports.slice(1));
const client = createHttpClient();
const sup = new Supervisor({ client, clock: systemClock, log: silentLogger, persistSoon() {}, async persistNow() {} });
if (mode === 'history') {
  const h = createHistoryStore(await mkdtemp(tmpdir() + '/prof-'), {});
  sup.subscribe((e) => h.record(e));
}
let checks = 0;
sup.subscribe((e) => { if (e.type === 'check') checks++; });
for (const p of pairs) {
  const r = validatePairSettings({ id: p.id, name: p.id, primaryUrl: p.primaryUrl, interval: 1, toleratedFailures: 3, validation: { quorum: 1, urls: [`http://127.0.0.1:${ports[0]}/v`] }, action: { method: 'POST', url: 'http://127.0.0.1:9/', encoding: 'json', auth: 'none', headers: [], retries: 1, timeout: 1 } });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  sup.add(r.settings);
}
if (mode === 'loop') {
  const { Agent, request } = await import('/work/main/node_modules/undici/index.js');
  const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  const t0 = performance.now();
  pairs.forEach((p, i) => {
    let slot = 0; const firstAt = t0 + (i / 1000) * 1000;
    const tick = async () => {
      try { const res = await request(p.primaryUrl, { dispatcher, headersTimeout: 1000, bodyTimeout: 1000 }); await res.body.dump(); checks++; } catch {}
      do slot++; while (firstAt + slot * 1000 < performance.now());
      setTimeout(tick, firstAt + slot * 1000 - performance.now());
    };
    setTimeout(tick, firstAt - performance.now());
  });
} else sup.start();
await new Promise((r) => setTimeout(r, 3000));
const c0 = process.cpuUsage(); const n0 = checks;
await new Promise((r) => setTimeout(r, 10000));
const c = process.cpuUsage(c0);
console.log(mode, 'cpu ms', Math.round((c.user + c.system) / 1000), 'checks', checks - n0, 'rss MB', Math.round(process.memoryUsage().rss / 2 ** 20));
await sup.stop(); await client.close(); await servers.close();
process.exit(0);
