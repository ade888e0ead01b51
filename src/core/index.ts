// The engine's public surface for the headless service, the Electron shell and the benchmarks.

export { openMonitor, type EngineTuning } from './monitor.js';
export { Controller, type ControllerOptions } from './controller.js';
export { engineContext, type EngineContextParts } from './engine-context.js';
export { diffSettings } from './config-sync.js';
export { Supervisor, type SupervisorDeps, type EngineListener } from './supervisor.js';
export { Watcher, type WatcherDeps, type WatcherHooks } from './watcher.js';
export {
  ActionRun,
  type ActionRunnerDeps,
  actionVariables,
  buildActionRequest,
  defaultBackoff,
  maskedActionRequest,
  newActionStatus,
} from './action-runner.js';
export {
  BODY_CAP_BYTES,
  createHttpClient,
  describeNetworkError,
  type HttpClient,
  type HttpClientOptions,
  type OutgoingRequest,
  prepareUrl,
  type PreparedUrl,
  type ProbeOutcome,
} from './http-client.js';
export { compileAcceptStatus, type StatusAcceptor } from '../shared/accept-status.js';
export { probeOnce, toCheckResult } from './probe.js';
export * from './ports.js';
