// pbx-failover-monitor [serve] [options] | validate <file> | --help | --version
// Exit codes: 0 done (or stopped by SIGINT/SIGTERM), 1 could not do it (invalid configuration,
// serverdir locked, port in use, or the serverdir lock taken over while running), 2 the command
// line itself is wrong, or the pbxctrl-failover.xml it names is an empty file (a truncated file must never
// read as "no pairs").

import { realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readConfigFile } from '../core/config-store.js';
import { CONFIG_FILE_NAME, configPath, defaultServerdir } from '../core/paths.js';
import { MonitorError } from '../shared/api.js';
import type { Problem } from '../shared/model.js';
import { packageVersion } from './package-info.js';
import { TOKEN_USAGE, TokenUsageError, runTokenCommand } from './cli-token.js';
import { DEFAULT_HOST, DEFAULT_PORT, isLoopbackHost } from './address.js';
import { LOG_FORMATS, LOG_LEVELS, createLogger, type LogFormat, type LogLevel } from './log.js';
import type { RunningService, ServiceOptions } from './service.js';
import { DEFAULT_CLUSTER_PREFIX, DEFAULT_LEASE_TTL, type ClusterOptions } from '../core/cluster/options.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

const USAGE = `Usage:
  pbx-failover-monitor [serve] [options]   watch every pair and serve the dashboard and the API
  pbx-failover-monitor validate <file>     check a pbxctrl-failover.xml and list every problem
${TOKEN_USAGE}
  pbx-failover-monitor --help | --version

Options for serve:
  --serverdir <dir>        where pbxctrl-failover.xml, history, the lock and api-token live
                           (default: ${safeDefaultServerdir()})
  --host <address>         address to listen on (default ${DEFAULT_HOST}; anything else is reachable
                           from other machines)
  --allowed-host <name>    a name browsers reach this service by, besides loopback names, IP
                           addresses and --host (repeatable; other Host headers get 421)
  --port <number>          port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --token-file <file>      API token file (default <serverdir>/api-token, created with mode 0600)
  --metrics-token-file <file>
                           a second token that may only read GET /metrics (created with mode
                           0600 when missing); the API token can scrape too
  --tls-cert <file>        serve HTTPS with this PEM certificate (needs --tls-key)
  --tls-key <file>         the certificate's PEM private key
  --retention-days <days>  days of history kept (default 90)
  --log-format <format>    logfmt (default) or json: one line per event on stdout
  --log-level <level>      debug, info (default), warn or error; debug adds every check

Cluster mode (several watchers on etcd, one leader that acts; see README "High availability"):
  --cluster <urls>         etcd endpoints, comma-separated (http://127.0.0.1:2379,http://…)
  --node <name>            this node's name, unique in the cluster (needed with --cluster)
  --cluster-prefix <key>   key prefix in etcd (default ${DEFAULT_CLUSTER_PREFIX})
  --lease-ttl <seconds>    the leader's lease (default ${DEFAULT_LEASE_TTL}; 2 to 300)
  --advertise-url <url>    where the other nodes and clients reach this node's API (default
                           http(s)://<host>:<port>)

Exit codes: 0 ok, 1 invalid configuration or cannot start, 2 bad command line or an empty
pbxctrl-failover.xml.`;

const OPTIONS = {
  serverdir: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'token-file': { type: 'string' },
  'metrics-token-file': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'retention-days': { type: 'string' },
  'allowed-host': { type: 'string', multiple: true },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  cluster: { type: 'string' },
  node: { type: 'string' },
  'cluster-prefix': { type: 'string' },
  'lease-ttl': { type: 'string' },
  'advertise-url': { type: 'string' },
  role: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

const SERVE_ONLY = [
  'serverdir',
  'host',
  'port',
  'token-file',
  'metrics-token-file',
  'tls-cert',
  'tls-key',
  'retention-days',
  'allowed-host',
  'log-format',
  'log-level',
  'cluster',
  'node',
  'cluster-prefix',
  'lease-ttl',
  'advertise-url',
] as const;

class UsageError extends Error {}

function safeDefaultServerdir(): string {
  try {
    return defaultServerdir();
  } catch {
    return 'under your user data directory';
  }
}

function formatProblem(p: Problem): string {
  return p.pair ? `  pair ${p.pair}, field ${p.field}: ${p.message}` : `  field ${p.field}: ${p.message}`;
}

function pairCount(n: number): string {
  return `${n} pair${n === 1 ? '' : 's'}`;
}

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}

function nonEmpty(name: string, text: string | undefined): string | undefined {
  if (text !== undefined && text.trim() === '') throw new UsageError(`--${name} needs a value`);
  return text;
}

interface ServeArgs {
  serverdir: string;
  host: string;
  port: number;
  tokenFile?: string;
  metricsTokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  retentionDays: number;
  allowedHosts: string[];
  logFormat: LogFormat;
  logLevel: LogLevel;
  cluster?: ClusterOptions;
}

const CLUSTER_ONLY = ['node', 'cluster-prefix', 'lease-ttl', 'advertise-url'] as const;

function httpUrl(name: string, text: string, example: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--${name} takes URLs such as ${example}, not "${text}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash)
    throw new UsageError(`--${name} takes http:// or https:// URLs such as ${example}, not "${text}"`);
  if (url.pathname !== '/' && url.pathname !== '')
    throw new UsageError(`--${name} takes a scheme, host and port only (no path), not "${text}"`);
  return url;
}

/** --cluster and its companions; undefined without --cluster (then none of them may be given). */
function clusterArgs(values: Values, host: string, port: number, tls: boolean): ClusterOptions | undefined {
  const urls = nonEmpty('cluster', values.cluster);
  if (urls === undefined) {
    const stray = CLUSTER_ONLY.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`--${stray} only goes with --cluster (the etcd endpoints)`);
    return undefined;
  }
  const endpoints = urls.split(',').map((text) => {
    const url = httpUrl('cluster', text.trim(), 'http://127.0.0.1:2379');
    if (!url.port)
      throw new UsageError(`--cluster: give the port of each etcd endpoint (such as :2379), not "${text.trim()}"`);
    return `${url.protocol}//${url.host}`;
  });
  const node = nonEmpty('node', values.node);
  if (node === undefined)
    throw new UsageError('--cluster needs --node <name>: a name for this node, unique in the cluster');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(node))
    throw new UsageError(`--node takes a name of letters, digits, ".", "_" and "-" (up to 63), not "${node}"`);
  const prefix = nonEmpty('cluster-prefix', values['cluster-prefix']) ?? DEFAULT_CLUSTER_PREFIX;
  if (!/^\/[\x21-\x7e]*\/$/.test(prefix))
    throw new UsageError(
      `--cluster-prefix must begin and end with "/" and hold no spaces, such as ${DEFAULT_CLUSTER_PREFIX}, not "${prefix}"`,
    );
  const leaseTtl =
    values['lease-ttl'] === undefined ? DEFAULT_LEASE_TTL : integer('lease-ttl', values['lease-ttl'], 2, 300);
  const advertise = nonEmpty('advertise-url', values['advertise-url']);
  const advertiseUrl =
    advertise !== undefined
      ? httpUrl('advertise-url', advertise, 'http://10.0.0.5:8480').origin
      : port !== 0
        ? `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`
        : undefined;
  return { endpoints, node, prefix, leaseTtl, ...(advertiseUrl !== undefined ? { advertiseUrl } : {}) };
}

function oneOf<T extends string>(name: string, text: string | undefined, choices: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not "${text}"`);
}

function hostNames(values: string[] | undefined): string[] {
  return (values ?? []).map((name) => {
    if (!/^[A-Za-z0-9.-]{1,253}$/.test(name) && !/^\[?[0-9A-Fa-f:.]+\]?$/.test(name)) {
      throw new UsageError(`--allowed-host takes a host name such as pbx-monitor.example.net, not "${name}"`);
    }
    return name;
  });
}

function serveArgs(values: Values): ServeArgs {
  const tlsCert = nonEmpty('tls-cert', values['tls-cert']);
  const tlsKey = nonEmpty('tls-key', values['tls-key']);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tokenFile = nonEmpty('token-file', values['token-file']);
  const metricsTokenFile = nonEmpty('metrics-token-file', values['metrics-token-file']);
  const serverdir = nonEmpty('serverdir', values.serverdir);
  const host = nonEmpty('host', values.host) ?? DEFAULT_HOST;
  const port = values.port === undefined ? DEFAULT_PORT : integer('port', values.port, 0, 65535);
  const cluster = clusterArgs(values, host, port, tlsCert !== undefined);
  return {
    serverdir: resolve(serverdir ?? defaultServerdir()),
    host,
    port,
    ...(cluster ? { cluster } : {}),
    retentionDays:
      values['retention-days'] === undefined ? 90 : integer('retention-days', values['retention-days'], 1, 36500),
    allowedHosts: hostNames(values['allowed-host']),
    logFormat: oneOf('log-format', values['log-format'], LOG_FORMATS, 'logfmt'),
    logLevel: oneOf('log-level', values['log-level'], LOG_LEVELS, 'info'),
    ...(tokenFile !== undefined ? { tokenFile: resolve(tokenFile) } : {}),
    ...(metricsTokenFile !== undefined ? { metricsTokenFile: resolve(metricsTokenFile) } : {}),
    ...(tlsCert !== undefined && tlsKey !== undefined ? { tlsCert: resolve(tlsCert), tlsKey: resolve(tlsKey) } : {}),
  };
}

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (values.version) {
      io.out(packageVersion);
      return 0;
    }
    const [command = 'serve', ...rest] = positionals;
    if (command === 'validate') {
      const used = SERVE_ONLY.filter((name) => values[name] !== undefined);
      if (used.length > 0) throw new UsageError(`--${used[0]} is an option of serve, not of validate`);
      if (rest.length !== 1)
        throw new UsageError('validate takes exactly one file: pbx-failover-monitor validate <file>');
      return await validate(rest[0] as string, io);
    }
    if (command === 'token') return await token(rest, values, io);
    if (values.role !== undefined) throw new UsageError('--role is an option of token add');
    if (command !== 'serve') throw new UsageError(`unknown command "${command}" (commands: serve, validate, token)`);
    if (rest.length > 0) throw new UsageError(`serve takes no arguments besides options, not "${rest[0]}"`);
    return await serve(serveArgs(values), io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`pbx-failover-monitor: ${err.message}`);
      io.err('Run `pbx-failover-monitor --help` for usage.');
      return 2;
    }
    throw err;
  }
}

async function token(args: string[], values: Values, io: CliIo): Promise<number> {
  const used = SERVE_ONLY.filter((name) => name !== 'serverdir' && values[name] !== undefined);
  if (used.length > 0) throw new UsageError(`--${used[0]} is an option of serve, not of token`);
  const serverdir = resolve(nonEmpty('serverdir', values.serverdir) ?? defaultServerdir());
  try {
    return await runTokenCommand(args, { serverdir, role: values.role }, io);
  } catch (err) {
    if (err instanceof TokenUsageError) throw new UsageError(err.message);
    reportStartError(io, err, `cannot change the tokens in ${serverdir}`);
    return 1;
  }
}

async function validate(file: string, io: CliIo): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      io.err(`${file}: not a file`);
      return 1;
    }
    if (info.size === 0) return emptyFile(io, file);
    const result = await readConfigFile(file);
    if (result.ok) {
      io.out(`${pairCount(result.config.pairs.length)}, valid`);
      return 0;
    }
    io.err(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
    for (const p of result.problems) io.err(formatProblem(p));
    return 1;
  } catch (err) {
    reportStartError(io, err, `cannot read ${file}`);
    return 1;
  }
}

function emptyFile(io: CliIo, file: string): number {
  io.err(
    `${file} is an empty file (0 bytes), not a configuration: restore it (for example from ${CONFIG_FILE_NAME}.bak) or delete it to start with no pairs`,
  );
  return 2;
}

/** Whether the serverdir's pbxctrl-failover.xml is there, and whether it is a 0-byte file. */
async function configFileState(serverdir: string): Promise<'missing' | 'empty' | 'present'> {
  try {
    return (await stat(configPath(serverdir))).size === 0 ? 'empty' : 'present';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

function reportStartError(io: CliIo, err: unknown, context: string): void {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') io.err(`${context}: no such file or directory`);
  else if (code === 'EACCES' || code === 'EPERM') io.err(`${context}: permission denied`);
  else io.err(`${context}: ${(err as Error).message}`);
  if (err instanceof MonitorError && err.problems) for (const p of err.problems) io.err(formatProblem(p));
}

async function readTls(args: ServeArgs): Promise<ServiceOptions['tls']> {
  if (args.tlsCert === undefined || args.tlsKey === undefined) return undefined;
  return { cert: await readFile(args.tlsCert), key: await readFile(args.tlsKey) };
}

async function serve(args: ServeArgs, io: CliIo): Promise<number> {
  let service: RunningService;
  let config: Awaited<ReturnType<typeof configFileState>>;
  try {
    config = await configFileState(args.serverdir);
    if (config === 'empty') return emptyFile(io, configPath(args.serverdir));
    const tls = await readTls(args);
    // Loaded here so that --help and validate start fast and never load the HTTP stack.
    const { startService } = await import('./service.js');
    service = await startService({
      serverdir: args.serverdir,
      host: args.host,
      port: args.port,
      retentionDays: args.retentionDays,
      allowedHosts: args.allowedHosts,
      log: createLogger({ format: args.logFormat, level: args.logLevel, stream: lineStream(io) }),
      ...(args.tokenFile !== undefined ? { tokenFile: args.tokenFile } : {}),
      ...(args.metricsTokenFile !== undefined ? { metricsTokenFile: args.metricsTokenFile } : {}),
      ...(tls ? { tls } : {}),
      ...(args.cluster ? { cluster: args.cluster } : {}),
    });
  } catch (err) {
    reportStartError(io, err, 'cannot start');
    return 1;
  }
  await announce(service, args, io, config === 'missing');
  const stop = await Promise.race([nextSignal(), service.lockLost.then((message) => ({ lost: message }))]);
  if (typeof stop === 'object') {
    // Another instance owns the serverdir: running on would only show stale states.
    io.err(`Lock lost: ${stop.lost}`);
    io.err('Exiting with code 1; the other instance keeps watching the pairs.');
    await service.close();
    return 1;
  }
  const signal = stop;
  io.err(`${signal}: stopping checks, finishing writes, releasing the lock…`);
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  await service.close();
  io.err('Stopped.');
  return 0;
}

/** The log goes through io.out, one line per write. */
function lineStream(io: CliIo): NodeJS.WritableStream {
  return {
    write: (chunk: string) => (io.out(String(chunk).replace(/\n$/, '')), true),
  } as unknown as NodeJS.WritableStream;
}

// The token reaches stdout only on the start that created it: every later start goes to the
// journal or the container log, which many people may read.
async function announce(service: RunningService, args: ServeArgs, io: CliIo, noConfigFile: boolean): Promise<void> {
  const pairs = (await service.monitor.listPairs()).length;
  if (!isLoopbackHost(args.host)) {
    io.err(
      `Warning: listening on ${args.host}, reachable from other machines; anyone with the token can fail pairs over.`,
    );
    if (!args.tlsCert) io.err('Warning: without --tls-cert/--tls-key the token crosses the network in clear text.');
  }
  if (service.tokenCreated) io.err(`Created a new API token in ${service.tokenFile} (mode 0600).`);
  if (service.tokenFileLooseMode !== undefined) {
    io.err(
      `Warning: ${service.tokenFile} can be read by others (mode ${service.tokenFileLooseMode.toString(8)}); chmod 600 it.`,
    );
  }
  if (noConfigFile) io.out(`no ${CONFIG_FILE_NAME} in ${service.monitor.serverdir}: starting with no pairs`);
  io.out(`Watching ${pairCount(pairs)} from ${service.monitor.serverdir}`);
  if (args.cluster)
    io.out(
      `Cluster node ${args.cluster.node} on etcd ${args.cluster.endpoints.join(',')} (prefix ${args.cluster.prefix ?? ''}); only the leader acts`,
    );
  if (service.tokenCreated) io.out(`Dashboard: ${service.dashboardUrl}`);
  else io.out(`Dashboard: ${service.url}/ (the API token is in ${service.tokenFile})`);
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`pbx-failover-monitor: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
