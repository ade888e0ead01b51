// The dashboard (electron-vite's renderer build) served as static files, so the same bundle that
// runs in the Electron window runs in any browser against this service.

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

// Vite puts content hashes in asset names, so they may be cached for good; index.html names the
// current hashes and must always be fetched fresh.
function cacheHeaders(reply: FastifyReply, path: string): void {
  const forever = path.includes(join('assets', '')) && basename(path) !== 'index.html';
  void reply.header('cache-control', forever ? 'public, max-age=31536000, immutable' : 'no-cache');
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
  await app.register(fastifyStatic, {
    root: dir,
    index: ['index.html'],
    cacheControl: false,
    dotfiles: 'deny',
    setHeaders: cacheHeaders,
  });
}
