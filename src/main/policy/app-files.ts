// What app:// answers: files of the built renderer folder and nothing else.
// Every path segment is decoded once and checked on its own, so neither `..`,
// its percent-encoded forms, backslashes nor a symlink can reach a file outside
// the folder. Pure Node (no Electron), so the refusals are tested on real files.

import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './app-origin.js';
import { CSP_HEADER_VALUE } from './csp.js';

export type AppFileAnswer =
  { ok: true; file: string; contentType: string } | { ok: false; status: 400 | 404; message: string };

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const refused = (status: 400 | 404, message: string): AppFileAnswer => ({ ok: false, status, message });

/** A decoded segment that names a file or folder inside the folder, nothing that moves around. */
function safeSegment(raw: string): string | undefined {
  let seg: string;
  try {
    seg = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (seg === '' || seg === '.' || seg === '..') return undefined;
  // Separators of any platform, NUL, and ':' (Windows drive letters and alternate data streams).
  if (/[/\\\0:]/.test(seg)) return undefined;
  return seg;
}

function inside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The file an app:// URL names inside `rendererDir`, or why it is refused. */
export async function resolveAppFile(url: string, rendererDir: string): Promise<AppFileAnswer> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return refused(400, 'not a URL');
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host.toLowerCase() !== APP_HOST)
    return refused(404, 'not an app:// renderer URL');
  const raw = u.pathname.split('/').slice(1);
  const segments = raw.map(safeSegment);
  if (raw.length === 0 || segments.some((s) => s === undefined))
    return refused(400, 'the path leaves the renderer folder or is malformed');
  const file = join(rendererDir, ...(segments as string[]));
  if (!inside(rendererDir, file)) return refused(400, 'the path leaves the renderer folder');
  try {
    // A symlink inside the folder must not lead out of it.
    const [realRoot, realFile] = await Promise.all([realpath(rendererDir), realpath(file)]);
    if (!inside(realRoot, realFile)) return refused(404, 'not a file of the renderer');
    if (!(await stat(realFile)).isFile()) return refused(404, 'not a file of the renderer');
  } catch {
    return refused(404, 'not a file of the renderer');
  }
  return { ok: true, file, contentType: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
}

/** The protocol handler's answer to one request: the file with the CSP, or a bare refusal. */
export async function answerAppRequest(request: Request, rendererDir: string): Promise<Response> {
  const headers = {
    'Content-Security-Policy': CSP_HEADER_VALUE,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('method not allowed', { status: 405, headers: { ...headers, Allow: 'GET, HEAD' } });
  }
  const found = await resolveAppFile(request.url, rendererDir);
  if (!found.ok)
    return new Response(found.message, {
      status: found.status,
      headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' },
    });
  let body: Buffer;
  try {
    body = await readFile(found.file);
  } catch {
    return new Response('not a file of the renderer', {
      status: 404,
      headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
    status: 200,
    headers: { ...headers, 'Content-Type': found.contentType },
  });
}
