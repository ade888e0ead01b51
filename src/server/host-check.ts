// Defence against DNS rebinding: a page on evil.example whose name is made to resolve to
// 127.0.0.1 reaches this service with `Host: evil.example`. Only names this service is known by
// are answered: loopback names, the --host it listens on and each --allowed-host. An IP literal
// can never be a rebinding (there is no name to rebind), so any IP literal is accepted.

import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiErrorBody } from '../shared/api.js';
import { SECURITY_HEADERS } from './headers.js';

/** The name part of a Host header, lower-case, without port or IPv6 brackets. */
function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') >>> 0);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 ? h.slice(0, colon) : h).replace(/\.$/, '');
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

export class HostAllowList {
  private readonly names: Set<string>;

  /** `listenHost` is --host; `extra` are the names given with --allowed-host. */
  constructor(listenHost: string, extra: readonly string[] = []) {
    this.names = new Set(
      [listenHost, ...extra].map((n) => hostName(n.includes(':') && !n.startsWith('[') ? `[${n}]` : n)),
    );
  }

  allows(header: string | undefined): boolean {
    // HTTP/1.0 tools may send none; a browser (the only client a rebinding can drive) always does.
    if (header === undefined || header === '') return true;
    const name = hostName(header);
    return isIP(name) !== 0 || isLoopbackName(name) || this.names.has(name);
  }

  /** An onRequest hook for the whole app: runs before the token check and every route. */
  hook() {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const header = request.headers.host;
      if (this.allows(header)) return;
      const given = hostName(header ?? '');
      // Reflected only when it is a plain DNS name, so the answer never echoes arbitrary bytes.
      const name = /^[a-z0-9.-]{1,253}$/.test(given) ? given : 'that name';
      const body: ApiErrorBody = {
        error: 'invalid',
        message: `this service does not answer to the name "${name}" (Host header); if that is its name, start it with --allowed-host ${name}`,
      };
      void reply
        .code(421)
        .headers(SECURITY_HEADERS)
        .header('connection', 'close')
        .type('application/json; charset=utf-8')
        .send(body);
      return reply;
    };
  }
}
