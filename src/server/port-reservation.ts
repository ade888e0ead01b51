// The port held while the engine opens, and the errors a listen on it can end with.

import { createServer } from 'node:net';

export interface PortReservation {
  /** Gives the port back; settles once it is free. Idempotent. */
  release(): Promise<void>;
}

/**
 * Holds the port while the engine opens, so that a port in use is found before the lock is taken
 * and nobody else can take the port meanwhile. Released just before the service listens on it.
 * Port 0 (any free port) needs no reservation.
 *
 * A client that connects meanwhile (a desktop or a dashboard reconnecting to a service that is
 * restarting) is reset at once: the service is not there yet, and closing a server waits for every
 * connection it accepted, so a connection left open would hold the release, and with it the start,
 * for as long as the client keeps it (Node's own fetch keeps the connection of a request it gave up).
 */
export async function reservePort(host: string, port: number): Promise<PortReservation> {
  if (port === 0) return { release: async () => undefined };
  const server = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (err) => rejectListen(listenError(err, host, port)));
    server.listen({ host, port, exclusive: true }, () => resolveListen());
  });
  let released: Promise<void> | undefined;
  return { release: () => (released ??= new Promise((done) => server.close(() => done()))) };
}

export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`port ${port} on ${host} is already in use; choose another with --port`);
  if (code === 'EADDRNOTAVAIL') return new Error(`cannot listen on ${host}: no such address on this machine`);
  if (code === 'EACCES') return new Error(`not allowed to listen on ${host} port ${port}`);
  return err;
}
