// The dashboard (electron-vite's renderer build) served from memory, so the same bundle that runs
// in the Electron window runs in any browser against this service.
//
// The files are read once when the service starts, with their ETag and their gzip and brotli forms
// computed then: a request for them never waits for the disk or for libuv's file threads, which the
// history shares (under load, reading them per request made the first screen wait hundreds of
// milliseconds). A rebuilt dashboard is served after a restart of the service.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** More than any dashboard build needs (it is well under 1 MiB): a wrong directory is refused, not loaded. */
export const DASHBOARD_MAX_BYTES = 64 * 1024 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

const SAFE_NAME = /^[\w.~@+/-]+$/;

/** Worth compressing: text, and large enough that the encoded form is smaller by more than its header. */
const COMPRESS_MIN_BYTES = 1024;

interface DashboardFile {
  readonly body: Buffer;
  readonly br: Buffer | undefined;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  readonly cacheControl: string;
}

/** Every file under `dir` (dotfiles and dot-directories skipped), as paths relative to it with `/`. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return (
    entries
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
      .filter((rel) => !rel.split('/').some((part) => part.startsWith('.')))
      // Route paths: `:` and `*` would be read as a parameter or a wildcard. Builds never name files so.
      .filter((rel) => SAFE_NAME.test(rel))
      .sort()
  );
}

function compressible(type: string): boolean {
  return type.startsWith('text/') || type.startsWith('application/') || type === 'image/svg+xml';
}

/** Reads the build once; throws naming the directory when it holds more than `maxBytes`. */
export async function loadDashboard(dir: string, maxBytes = DASHBOARD_MAX_BYTES): Promise<Map<string, DashboardFile>> {
  const files = new Map<string, DashboardFile>();
  let total = 0;
  for (const rel of await listFiles(dir)) {
    const body = await readFile(join(dir, ...rel.split('/')));
    total += body.length;
    if (total > maxBytes) {
      throw new Error(`the dashboard directory ${dir} holds more than ${maxBytes} bytes; is it the renderer build?`);
    }
    const type = TYPES[extname(rel).toLowerCase()] ?? 'application/octet-stream';
    const squeeze = compressible(type) && body.length >= COMPRESS_MIN_BYTES;
    // Brotli at quality 9: within a few percent of 11 for these files, at a fraction of the start-up time.
    const br = squeeze
      ? brotliCompressSync(body, {
          params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
        })
      : undefined;
    const gzip = squeeze ? gzipSync(body, { level: 9 }) : undefined;
    // Vite puts content hashes in asset names, so they may be cached for good; index.html and boot.js
    // name or do the current thing and are revalidated on every load (the ETag makes that a 304).
    const hashed = rel.startsWith('assets/');
    files.set(rel, {
      body,
      br: br && br.length < body.length ? br : undefined,
      gzip: gzip && gzip.length < body.length ? gzip : undefined,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      cacheControl: hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  return files;
}

/** The encoding to send, from Accept-Encoding: brotli, then gzip, then none (q=0 refuses one). */
export function pickEncoding(header: string | undefined, file: DashboardFile): 'br' | 'gzip' | undefined {
  if (!header) return undefined;
  const accepted = new Set<string>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    accepted.add(name.trim());
  }
  const any = accepted.has('*');
  if (file.br && (accepted.has('br') || any)) return 'br';
  if (file.gzip && (accepted.has('gzip') || any)) return 'gzip';
  return undefined;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function send(file: DashboardFile, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  void reply.header('cache-control', file.cacheControl).header('etag', file.etag);
  if (file.br || file.gzip) void reply.header('vary', 'accept-encoding');
  if (matchesEtag(request.headers['if-none-match'], file.etag)) return reply.code(304).send();
  const encoding = pickEncoding(request.headers['accept-encoding'], file);
  const body = encoding === 'br' ? file.br! : encoding === 'gzip' ? file.gzip! : file.body;
  if (encoding) void reply.header('content-encoding', encoding);
  return reply.type(file.type).header('content-length', body.length).send(body);
}

export async function registerDashboard(app: FastifyInstance, dir: string): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('The dashboard has not been built yet (run `npm run build`); the API answers under /api/.\n'),
    );
    return;
  }
  const files = await loadDashboard(dir);
  for (const [rel, file] of files) {
    app.get(`/${rel}`, (request, reply) => send(file, request, reply));
  }
  const index = files.get('index.html')!;
  app.get('/', (request, reply) => send(index, request, reply));
}
