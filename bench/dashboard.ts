// Row 4: the dashboard in headless Chromium against the real headless service
// with N pairs checked once a second: main-thread time per second of live
// updates (Chrome's own TaskDuration via CDP, so it counts everything the page
// does, not only what the app times itself), time until the first screen is
// interactive, and the 30-day timeline of a pair with 100,000 checks.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { createHistoryStore } from '../src/core/history.js';
import { Child } from './child.js';
import { floorHtml } from './dashboard-floor.js';
import { generateHistory } from './history-gen.js';
import { LoopbackServers } from './loopback.js';
import { benchPairs, writePairsFile, type BenchPair } from './pairs-xml.js';
import { percentile, sleep } from './schedule-stats.js';
import { count, ms, row, times, verdict, type Row } from './table.js';

export interface DashboardOptions {
  pairs: number;
  /** Seconds of live updates sampled. */
  sampleS: number;
  timelineDays: number;
  timelineChecks: number;
  /** Live checking before the page opens, so it opens on a running service. */
  settleMs: number;
  /** Rounds of the two pages, alternating; each side's best round is reported (1 unless given). */
  rounds?: number;
}

// Issue 17's targets: live updates cost the main thread at most what the plain page's cost, the first
// screen is usable within 1.3x the plain page's time, a 30-day timeline is drawn in under 100 ms.
const TARGET = { updateRatio: 1, interactiveRatio: 1.3, timelineMs: 100 };
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const projectDir = join(import.meta.dirname, '..');
const rendererDir = join(projectDir, 'out', 'renderer');
const TIMELINE_PAIR = 'timeline';
const DAY_MS = 86_400_000;

interface PagePerf {
  pairsRenderedAt?: number;
  flushes: Array<{ events: number; ms: number }>;
  timelineDrawMs?: number;
  timelineDraws: number;
}

/** What the page holds for us; code passed to page.evaluate() reads it from globalThis (the window). */
interface PageGlobals {
  __benchLongTasks?: Array<{ start: number; end: number }>;
  __pbxPerf?: PagePerf;
  location: { hash: string };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * The service serves the built dashboard. Build it when missing; a build older than its sources
 * is used as it is (building here would also build other work in progress) but said so.
 */
function ensureRendererBuilt(): string {
  const index = join(rendererDir, 'index.html');
  if (!existsSync(index)) {
    console.error('building the dashboard (out/renderer is missing)');
    execFileSync('npm', ['run', '-s', 'build:app'], { cwd: projectDir, stdio: ['ignore', 'ignore', 'inherit'] });
    return '';
  }
  const sources = Math.max(
    newestMtime(join(projectDir, 'src', 'renderer')),
    newestMtime(join(projectDir, 'src', 'shared')),
  );
  if (statSync(index).mtimeMs >= sources) return '';
  console.error('out/renderer is older than src/renderer: measuring that older build (npm run build:app to refresh)');
  return ' [build older than sources]';
}

async function prepareServerdir(serverdir: string, opts: DashboardOptions, servers: LoopbackServers): Promise<void> {
  const ports = await servers.listen(opts.pairs + 2);
  const receiverPort = await servers.receiver();
  const timelineIntervalS = (opts.timelineDays * DAY_MS) / opts.timelineChecks / 1000;
  const pairs: BenchPair[] = [
    ...benchPairs(opts.pairs, ports.slice(2)),
    { id: TIMELINE_PAIR, primaryUrl: `http://127.0.0.1:${ports[1]}/` },
  ];
  await writePairsFile(serverdir, {
    pairs,
    intervalS: 1,
    toleratedFailures: 3,
    validationUrl: `http://127.0.0.1:${ports[0]}/validation`,
    actionUrlBase: `http://127.0.0.1:${receiverPort}/action/`,
  });
  const store = createHistoryStore(serverdir, { retentionDays: 90, autoPrune: false });
  await generateHistory(store, {
    pair: TIMELINE_PAIR,
    days: opts.timelineDays,
    intervalS: timelineIntervalS,
    endMs: Date.now(),
    standby: false,
    blipsPerDay: 2,
  });
  await store.close();
}

/**
 * A service that has just started is busy writing every pair's first state change; both pages
 * must meet the service in its steady state, or the first would pay for the start-up.
 */
async function untilAllWatching(url: string, hash: string, pairs: number): Promise<void> {
  const token = decodeURIComponent(/token=([^&]+)/.exec(hash)?.[1] ?? '');
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const res = await fetch(url + '/api/pairs', { headers: { authorization: `Bearer ${token}` } });
    const list = (await res.json()) as Array<{ state: string }>;
    if (list.length === pairs && list.every((p) => p.state === 'waiting')) return;
    await sleep(500);
  }
  throw new Error(`the service's ${pairs} pairs did not all reach waiting within 60 s`);
}

/** The parts of the page's timing entries the trace prints (the bench compiles without the DOM's types). */
interface ResourceEntry {
  name: string;
  startTime: number;
  responseStart: number;
  responseEnd: number;
  encodedBodySize: number;
}
interface NavigationEntry extends ResourceEntry {
  requestStart: number;
  domInteractive: number;
}

export interface FirstScreen {
  renderedMs: number;
  interactiveMs: number;
  /** When the page's scripts had arrived, and when the pair list had. */
  scriptsMs: number;
  pairListMs: number;
}

/** From navigation to the pairs on screen, extended past any long task that keeps the page busy. */
async function firstScreen(page: Page, url: string, profileFile?: string): Promise<FirstScreen> {
  const stopProfile = profileFile
    ? await startProfile(await page.context().newCDPSession(page), profileFile)
    : undefined;
  await page.goto(url);
  await page.waitForFunction(
    () => (globalThis as unknown as PageGlobals).__pbxPerf?.pairsRenderedAt !== undefined,
    undefined,
    { timeout: 60_000 },
  );
  // Long tasks that follow the first rows still delay interactivity; give them time to be reported.
  await sleep(500);
  await stopProfile?.();
  if (process.env.BENCH_TRACE) {
    // What arrived when, and the page's own marks: where the time to the first screen went.
    const timings = await page.evaluate(() => [
      ...(performance.getEntriesByType('navigation' as 'mark') as unknown as NavigationEntry[]).map(
        (e) =>
          `document: request ${e.requestStart.toFixed(0)}, first byte ${e.responseStart.toFixed(0)}, end ${e.responseEnd.toFixed(0)}, ` +
          `interactive ${e.domInteractive.toFixed(0)}`,
      ),
      ...(performance.getEntriesByType('resource') as unknown as ResourceEntry[]).map(
        (e) =>
          `${e.name.replace(/^.*\/\/[^/]+/, '').slice(0, 60)}: start ${e.startTime.toFixed(0)}, ` +
          `first byte ${e.responseStart.toFixed(0)}, end ${e.responseEnd.toFixed(0)}, ${(e.encodedBodySize / 1024).toFixed(0)} kB`,
      ),
      ...performance.getEntriesByType('mark').map((e) => `mark ${e.name} at ${e.startTime.toFixed(0)}`),
    ]);
    console.error(timings.map((t) => `  ${t}`).join('\n'));
  }
  return page.evaluate(() => {
    const rendered = (globalThis as unknown as PageGlobals).__pbxPerf!.pairsRenderedAt!;
    let interactive = rendered;
    for (const task of ((globalThis as unknown as PageGlobals).__benchLongTasks ?? []).sort(
      (a, b) => a.start - b.start,
    )) {
      if (task.start <= interactive + 50) interactive = Math.max(interactive, task.end);
    }
    const loaded = performance.getEntriesByType('resource') as unknown as Array<{ name: string; responseEnd: number }>;
    const scripts = loaded.filter((e) => e.name.endsWith('.js')).map((e) => e.responseEnd);
    const pairList = loaded.find((e) => /\/api\/pairs(\?|$)/.test(e.name));
    return {
      renderedMs: rendered,
      interactiveMs: interactive,
      scriptsMs: Math.max(0, ...scripts),
      pairListMs: pairList?.responseEnd ?? Number.NaN,
    };
  });
}

type Breakdown = 'ScriptDuration' | 'LayoutDuration' | 'RecalcStyleDuration';
type Busy = Record<'TaskDuration' | Breakdown, number>;

async function busySeconds(cdp: CDPSession): Promise<Busy> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const value = (name: string): number => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
  return {
    TaskDuration: value('TaskDuration'),
    ScriptDuration: value('ScriptDuration'),
    LayoutDuration: value('LayoutDuration'),
    RecalcStyleDuration: value('RecalcStyleDuration'),
  };
}

export interface UpdateCost {
  /** Main-thread milliseconds in each second. */
  perSecond: number[];
  /** Of all seconds together: script, layout and style milliseconds per second. */
  breakdown: Record<Breakdown, number>;
  flushMs: number[];
  events: number;
}

/** Main-thread busy time in each second of live updates. */
async function updateCost(page: Page, cdp: CDPSession, seconds: number): Promise<UpdateCost> {
  const flushesBefore = await page.evaluate(() => (globalThis as unknown as PageGlobals).__pbxPerf!.flushes.length);
  const perSecond: number[] = [];
  const sampledFrom = await page.evaluate(() => performance.now());
  const first = await busySeconds(cdp);
  let last = first;
  for (let i = 0; i < seconds; i++) {
    await sleep(1_000);
    const now = await busySeconds(cdp);
    perSecond.push((now.TaskDuration - last.TaskDuration) * 1000);
    last = now;
  }
  const share = (key: Breakdown): number => ((last[key] - first[key]) * 1000) / seconds;
  const breakdown = {
    ScriptDuration: share('ScriptDuration'),
    LayoutDuration: share('LayoutDuration'),
    RecalcStyleDuration: share('RecalcStyleDuration'),
  };
  const flushes = await page.evaluate(
    (from) => (globalThis as unknown as PageGlobals).__pbxPerf!.flushes.slice(from),
    flushesBefore,
  );
  if (process.env.BENCH_TRACE) {
    const requests = await page.evaluate(
      (since) =>
        (performance.getEntriesByType('resource') as unknown as ResourceEntry[])
          .filter((e) => e.responseEnd >= since)
          .map(
            (e) =>
              `${e.name.replace(/^.*\/\/[^/]+/, '').slice(0, 40)} ${(e.startTime - since).toFixed(0)}..${(e.responseEnd - since).toFixed(0)}`,
          ),
      sampledFrom,
    );
    console.error(`  requests during the sample (ms from its start): ${requests.join(', ')}`);
    console.error(`  per second: ${perSecond.map((v) => v.toFixed(0)).join(' ')}`);
  }
  return { perSecond, breakdown, flushMs: flushes.map((f) => f.ms), events: flushes.reduce((a, f) => a + f.events, 0) };
}

/**
 * Open the pair, choose the range, and time from the click until the timeline is drawn from the
 * history of that range: the first draw after the history request finished (changing the range
 * may redraw the old data at once, which must not count).
 */
async function timeline(
  page: Page,
  days: number,
): Promise<{ drawMs: number; clickToDrawnMs: number; historyKb: number }> {
  await page.evaluate(
    (pair) => ((globalThis as unknown as PageGlobals).location.hash = `#/pair/${pair}`),
    TIMELINE_PAIR,
  );
  await page.waitForFunction(
    () => ((globalThis as unknown as PageGlobals).__pbxPerf?.timelineDraws ?? 0) > 0,
    undefined,
    { timeout: 60_000 },
  );
  await sleep(500);
  const clickedAt = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: `${days}d`, exact: true }).click();
  const found = await page.waitForFunction(
    (clicked) => {
      const fetches = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/history') && e.startTime >= clicked) as unknown as Array<{
        startTime: number;
        responseEnd: number;
        encodedBodySize: number;
      }>;
      const fetched = fetches[fetches.length - 1];
      if (!fetched || fetched.responseEnd === 0) return undefined;
      const draw = performance.getEntriesByName('timeline-draw').find((d) => d.startTime >= fetched.responseEnd);
      if (!draw) return undefined;
      return {
        drawMs: draw.duration,
        clickToDrawnMs: draw.startTime + draw.duration - clicked,
        historyKb: fetched.encodedBodySize / 1024,
      };
    },
    clickedAt,
    { timeout: 60_000, polling: 50 },
  );
  return (await found.jsonValue())!;
}

/**
 * BENCH_DASHBOARD_PROFILE=<file.cpuprofile> saves the page's CPU profile while live updates are
 * sampled, BENCH_FIRST_SCREEN_PROFILE=<file.cpuprofile> from navigation to the first screen (open
 * them in Chrome DevTools) to see where the main-thread time goes. Profiling slows the page: the
 * figures of a profiled run are not the ones to report.
 */
async function startProfile(cdp: CDPSession, file: string | undefined): Promise<(() => Promise<void>) | undefined> {
  if (!file) return undefined;
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = await cdp.send('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    console.error(`dashboard CPU profile written to ${file}`);
  };
}

/** BENCH_TRACE=1 prints when each step ended, to see where a slow run spends its time. */
function tracer(name: string): (step: string) => void {
  const t0 = performance.now();
  return (step) => {
    if (process.env.BENCH_TRACE) console.error(`${name}: ${step} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
}

interface PageResult {
  screen: FirstScreen;
  updates: UpdateCost;
  drawn: { drawMs: number; clickToDrawnMs: number; historyKb: number };
}

const FLOOR_PATH = '/__bench_floor';

/** One page in its own browser context: first screen, a stretch of live updates, the timeline. */
async function measurePage(
  browser: Browser,
  url: string,
  opts: DashboardOptions,
  lap: (step: string) => void,
): Promise<PageResult> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  try {
    const origin = new URL(url).origin;
    await context.route(origin + FLOOR_PATH, (route) =>
      route.fulfill({ contentType: 'text/html; charset=utf-8', body: floorHtml() }),
    );
    const page = await context.newPage();
    await page.addInitScript(() => {
      performance.setResourceTimingBufferSize(100_000);
      (globalThis as unknown as PageGlobals).__benchLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          (globalThis as unknown as PageGlobals).__benchLongTasks!.push({
            start: e.startTime,
            end: e.startTime + e.duration,
          });
      }).observe({ type: 'longtask' as 'mark', buffered: true });
    });
    const app = !url.includes(FLOOR_PATH);
    const screen = await firstScreen(page, url, app ? process.env.BENCH_FIRST_SCREEN_PROFILE : undefined);
    lap('first screen');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const profiling = app ? await startProfile(cdp, process.env.BENCH_DASHBOARD_PROFILE) : undefined;
    // BENCH_DASHBOARD_TRACE=<prefix>: Chrome's timeline trace of the live updates of each page
    // (<prefix>-app.json, <prefix>-plain.json; chrome://tracing or DevTools' Performance panel).
    const traceFile = process.env.BENCH_DASHBOARD_TRACE;
    if (traceFile) await browser.startTracing(page, { categories: ['devtools.timeline'] });
    const updates = await updateCost(page, cdp, opts.sampleS);
    if (traceFile) await writeFile(`${traceFile}-${app ? 'app' : 'plain'}.json`, await browser.stopTracing());
    await profiling?.();
    lap('updates sampled');
    const drawn = await timeline(page, opts.timelineDays);
    lap('timeline drawn');
    return { screen, updates, drawn };
  } finally {
    await context.close();
  }
}

export async function dashboardRows(opts: DashboardOptions): Promise<Row[]> {
  const lap = tracer('dashboard');
  const stale = ensureRendererBuilt();
  const servers = await LoopbackServers.start();
  const serverdir = await mkdtemp(join(tmpdir(), 'pbx-bench-dashboard-'));
  let service: Child | undefined;
  let browser: Browser | undefined;
  try {
    await prepareServerdir(serverdir, opts, servers);
    lap('serverdir ready');
    service = await Child.start('service-worker.ts');
    const { url, dashboardUrl } = await service.call<{ url: string; dashboardUrl: string }>('start', {
      serverdir,
      rendererDir,
    });
    lap('service started');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    lap('chromium launched');
    await untilAllWatching(url, new URL(dashboardUrl).hash, opts.pairs + 1);
    await sleep(opts.settleMs);
    lap('service steady');
    // The two pages alternate, and each side's figure is its best round: other work on the machine
    // only ever adds to a page's time, and one page must not be measured in a busy moment alone.
    const apps: PageResult[] = [];
    const floors: PageResult[] = [];
    for (let round = 0; round < (opts.rounds ?? 1); round++) {
      apps.push(await measurePage(browser, dashboardUrl, opts, lap));
      floors.push(await measurePage(browser, url + FLOOR_PATH + new URL(dashboardUrl).hash, opts, lap));
    }
    const rounds = apps.length > 1 ? ` (best of ${apps.length} rounds)` : '';
    return dashboardTable(opts, bestOf(apps), bestOf(floors)).map((r) => ({ ...r, group: r.group + rounds + stale }));
  } finally {
    await browser?.close();
    await service?.stop();
    await servers.close();
    await rm(serverdir, { recursive: true, force: true });
  }
}

const medianOf = (values: number[]): number => percentile(Float64Array.from(values).sort(), 50);

/** Of a page's rounds, each measure's best: first screen, live updates and timeline apart. */
function bestOf(results: PageResult[]): PageResult {
  const least = (key: (r: PageResult) => number): PageResult =>
    results.reduce((best, r) => (key(r) < key(best) ? r : best));
  return {
    screen: least((r) => r.screen.interactiveMs).screen,
    updates: least((r) => medianOf(r.updates.perSecond)).updates,
    drawn: least((r) => r.drawn.drawMs).drawn,
  };
}

function dashboardTable(opts: DashboardOptions, app: PageResult, floor: PageResult): Row[] {
  const group = `4. Dashboard, ${count(opts.pairs)} pairs`;
  const sorted = (values: number[]): Float64Array => Float64Array.from(values).sort();
  const median = (values: number[]): number => percentile(sorted(values), 50);
  const max = (values: number[]): number => Math.max(...values);
  const busy = (r: PageResult): string =>
    `median ${ms(median(r.updates.perSecond))}, max ${ms(max(r.updates.perSecond))}`;
  const b = app.updates.breakdown;
  const appBusy = median(app.updates.perSecond);
  const plainPage = 'plain page';
  return [
    row({
      group,
      measure: `main-thread time per second of live updates (${opts.sampleS} s)`,
      engine:
        `${busy(app)}; per s: script ${ms(b.ScriptDuration)}, layout ${ms(b.LayoutDuration)}, style ${ms(b.RecalcStyleDuration)}; ` +
        `app's own batch timing: median ${ms(median(app.updates.flushMs))}, ${(app.updates.flushMs.length / opts.sampleS).toFixed(1)} batches/s, ` +
        `${count(app.updates.events)} events`,
      limit: `${plainPage} ${busy(floor)}`,
      ratio: times(appBusy / median(floor.updates.perSecond)),
      target: `median <= plain page's`,
      verdict: verdict(appBusy <= median(floor.updates.perSecond) * TARGET.updateRatio),
    }),
    row({
      group,
      measure: 'first screen interactive, from navigation',
      engine: `${ms(app.screen.interactiveMs)} (scripts loaded at ${ms(app.screen.scriptsMs)}, pair list at ${ms(app.screen.pairListMs)}, pairs on screen at ${ms(app.screen.renderedMs)})`,
      limit: `${plainPage} ${ms(floor.screen.interactiveMs)} (pair list at ${ms(floor.screen.pairListMs)})`,
      ratio: times(app.screen.interactiveMs / floor.screen.interactiveMs),
      target: `<= ${TARGET.interactiveRatio}x plain page`,
      verdict: verdict(app.screen.interactiveMs <= floor.screen.interactiveMs * TARGET.interactiveRatio),
    }),
    row({
      group,
      measure: `${opts.timelineDays}-day timeline, ${count(opts.timelineChecks)} checks: draw (click to drawn)`,
      engine: `${ms(app.drawn.drawMs)} (${ms(app.drawn.clickToDrawnMs)}, ${count(Math.round(app.drawn.historyKb))} kB of history fetched)`,
      limit: `${plainPage} ${ms(floor.drawn.drawMs)} (${ms(floor.drawn.clickToDrawnMs)})`,
      ratio: times(app.drawn.drawMs / floor.drawn.drawMs),
      target: `< ${TARGET.timelineMs} ms`,
      verdict: verdict(app.drawn.drawMs < TARGET.timelineMs),
    }),
  ];
}
