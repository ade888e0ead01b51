// The production files in the repository: the systemd unit and the container image. Docker cannot
// build here, so the image's build context is checked file by file, and its entry command is run
// as the image would run it: the built service in the runtime stage's layout (bin/, out/node,
// package.json, node_modules), against a throw-away serverdir.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, waitFor } from '../helpers/service-harness.js';

interface UnitFile {
  [section: string]: Map<string, string[]>;
}

function parseUnit(text: string): UnitFile {
  const unit: UnitFile = {};
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = unit[header[1]!] ??= new Map();
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

describe('deploy/pbx-failover-monitor.service', { timeout: 60_000 }, () => {
  // Where systemd is installed; it needs /usr/bin/node, which ExecStart names, to exist.
  it.skipIf(!existsSync(SYSTEMD_ANALYZE) || !existsSync('/usr/bin/node'))('passes systemd-analyze verify', async () => {
    const child = spawn(SYSTEMD_ANALYZE, ['verify', join(REPO_ROOT, 'deploy', 'pbx-failover-monitor.service')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    expect(await new Promise((done) => child.on('close', done))).toBe(0);
    expect(output).toBe('');
  });

  it('restarts on failure, runs as its own user with the serverdir under /var/lib, umask 0077, hardened', async () => {
    const unit = parseUnit(await readFile(join(REPO_ROOT, 'deploy', 'pbx-failover-monitor.service'), 'utf8'));
    const service = unit.Service!;
    const one = (key: string) => service.get(key)?.at(-1);
    expect(one('Restart')).toBe('on-failure');
    expect(one('DynamicUser') === 'yes' || (one('User') ?? '') !== '').toBe(true);
    expect(one('StateDirectory')).toBe('pbx-failover-monitor');
    expect(one('UMask')).toBe('0077');
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
    ]) {
      expect(one(key), key).toBe(value);
    }
    expect(unit.Install?.get('WantedBy')).toEqual(['multi-user.target']);

    const exec = one('ExecStart')!.split(/\s+/);
    expect(exec[0]).toMatch(/^\/.*\/node$/);
    const installDir = one('WorkingDirectory')!;
    expect(exec[1]!.startsWith(`${installDir}/`)).toBe(true);
    // The script is the repository's own, at the same place under the install directory.
    expect(existsSync(join(REPO_ROOT, exec[1]!.slice(installDir.length + 1)))).toBe(true);
    const args = exec.slice(2);
    expect(args[0]).toBe('serve');
    expect(args[args.indexOf('--serverdir') + 1]).toBe('/var/lib/pbx-failover-monitor');
  });
});

interface Instruction {
  name: string;
  args: string;
}

function instructions(dockerfile: string): Instruction[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name, ...rest] = l.split(/\s+/);
      return { name: name!.toUpperCase(), args: rest.join(' ') };
    });
}

function execForm(args: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`not the exec form: ${args}`);
  return parsed as string[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen({ host: '127.0.0.1', port: 0 }, done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe('Dockerfile', { timeout: 180_000 }, () => {
  let steps: Instruction[];
  let ignored: string[];
  let image: string;

  beforeAll(async () => {
    steps = instructions(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    ignored = (await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    image = await mkdtemp(join(tmpdir(), 'pfm-image-'));
  });

  afterAll(async () => {
    await rm(image, { recursive: true, force: true });
  });

  it('builds from node:20-bookworm-slim and runs as a non-root user with the serverdir as a volume', () => {
    const froms = steps.filter((s) => s.name === 'FROM').map((s) => s.args.split(/\s+/)[0]);
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toBe('node:20-bookworm-slim');
    const user = steps.filter((s) => s.name === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(steps.some((s) => s.name === 'VOLUME' && s.args.includes('/var/lib/pbx-failover-monitor'))).toBe(true);
    expect(steps.some((s) => s.name === 'EXPOSE' && s.args === '8480')).toBe(true);
    expect(steps.some((s) => s.name === 'RUN' && s.args.includes('npm ci --omit=dev'))).toBe(true);
  });

  it('every COPY from the build context exists in the repository and is not excluded by .dockerignore', () => {
    const sources = steps
      .filter((s) => s.name === 'COPY' && !s.args.startsWith('--from='))
      .flatMap((s) => s.args.split(/\s+/).slice(0, -1));
    expect(sources).toContain('package-lock.json');
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(
        ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)),
        `${source} is in .dockerignore`,
      ).toBe(false);
    }
  });

  it('its ENTRYPOINT and CMD, run in the runtime layout on loopback, serve /api/health', async () => {
    const entrypoint = execForm(steps.filter((s) => s.name === 'ENTRYPOINT').at(-1)!.args);
    const cmd = execForm(steps.filter((s) => s.name === 'CMD').at(-1)!.args);
    expect(cmd).toEqual(expect.arrayContaining(['serve', '--host', '0.0.0.0', '--serverdir']));
    // The runtime stage's layout: what its COPY lines bring, plus the runtime node_modules.
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const built = spawn(
      process.execPath,
      [tsc, '-p', join(REPO_ROOT, 'tsconfig.server.json'), '--outDir', join(image, 'out', 'node')],
      { stdio: 'inherit' },
    );
    expect(await new Promise((done) => built.on('close', done))).toBe(0);
    await cp(join(REPO_ROOT, 'bin'), join(image, 'bin'), { recursive: true });
    await cp(join(REPO_ROOT, 'package.json'), join(image, 'package.json'));
    await symlink(join(REPO_ROOT, 'node_modules'), join(image, 'node_modules'), 'dir');
    const serverdir = join(image, 'serverdir');
    const port = await freePort();
    const args = cmd.map((arg, i) => {
      if (cmd[i - 1] === '--host') return '127.0.0.1';
      if (cmd[i - 1] === '--serverdir') return serverdir;
      if (cmd[i - 1] === '--port') return String(port);
      return arg;
    });
    await mkdir(serverdir, { mode: 0o700 });
    expect(entrypoint[0]).toBe('node');
    const child = spawn(process.execPath, [...entrypoint.slice(1), ...args], {
      cwd: image,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise((done) => child.on('close', done));
    try {
      const [, url] = await waitFor(
        'the Dashboard line',
        () => {
          if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${output}`);
          return /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output) ?? undefined;
        },
        90_000,
      );
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const res = await fetch(`${url}/api/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true });
      expect((await stat(join(serverdir, 'api-token'))).mode & 0o777).toBe(0o600);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
