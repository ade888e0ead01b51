// GET /metrics: the engine's numbers in Prometheus text format. Counters and the check-duration
// histogram follow the engine's events; per-pair gauges (state, failures, readiness, certificates)
// are read from the live status at scrape time, so a scrape never shows a stale state. Labels are
// bounded by the configuration (pair ids, targets, kinds, channel ids), never a URL or an error
// text, so thousands of pairs give a predictable number of series.
//
// prom-client holds the process's own metrics and the low-cardinality series; the per-pair series
// are written by metrics-pairs.ts (see there why).

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MonitorApi } from '../shared/api.js';
import type { EngineEvent, PairStatus } from '../shared/model.js';
import { PairSeries } from './metrics-pairs.js';
import type { EventSource } from './sse.js';

// Gauges that prom-client names like counters: `promtool check metrics` rejects them.
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface Metrics {
  readonly contentType: string;
  /** The whole exposition, with every pair's gauges read from the engine now. */
  render(): Promise<string>;
  close(): void;
}

export interface MetricsOptions {
  /** Also export the process's own metrics (CPU, memory, event-loop lag); default true. */
  processMetrics?: boolean;
}

export function createMetrics(monitor: MonitorApi & EventSource, opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  }
  const series = new PairSeries();
  let statuses: readonly PairStatus[] = [];

  new Gauge({
    name: 'pbx_pairs',
    help: 'Pairs configured.',
    registers: [registry],
    collect() {
      this.set(statuses.length);
    },
  });
  const deliveries = new Counter({
    name: 'pbx_notify_deliveries_total',
    help: 'Alert delivery attempts by channel and result (a retried message counts each attempt).',
    labelNames: ['channel', 'result'] as const,
    registers: [registry],
  });

  function onEvent(event: EngineEvent): void {
    if (event.type === 'config' && event.change === 'removed') series.forget(event.pair);
    const shape = event as unknown as Record<string, unknown>;
    if (shape['type'] === 'notify' && typeof shape['channel'] === 'string') {
      deliveries.inc({ channel: shape['channel'], result: shape['ok'] === true ? 'ok' : 'failed' });
      return;
    }
    series.record(event);
  }

  const unsubscribe = monitor.subscribe(onEvent);
  return {
    contentType: registry.contentType,
    async render() {
      statuses = await monitor.listPairs();
      const pairs = series.render(statuses);
      return `${await registry.metrics()}${pairs}`;
    },
    close() {
      unsubscribe();
      registry.clear();
    },
  };
}
