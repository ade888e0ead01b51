/// <reference types="node" />
// The HTTP backend passes the import mode and a removal's reason and force to the service,
// checked against a real loopback server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpBackend } from '../../src/renderer/src/lib/backend/http';

let server: Server;
let base: string;
let seen: Array<{ method: string; url: string }>;

beforeEach(async () => {
  seen = [];
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url! });
    req.resume();
    req.on('end', () => {
      if (req.method === 'DELETE') res.writeHead(204).end();
      else
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ applied: true, changes: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('HTTP backend: intent of destructive requests', () => {
  it('sends the import mode, and the reason and operator of a replace', async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 't' });
    await backend.importXml('<pbxctrl-failover version="1"/>', { dryRun: true, mode: 'replace' });
    await backend.importXml('<pbxctrl-failover version="1"/>', { mode: 'merge' });
    await backend.importXml('<pbxctrl-failover version="1"/>', {
      mode: 'replace',
      reason: 'new layout',
      operator: 'alice',
    });
    expect(seen.map((s) => s.url)).toEqual([
      '/api/config.xml?dryRun=true&mode=replace',
      '/api/config.xml?mode=merge',
      '/api/config.xml?mode=replace&reason=new+layout&operator=alice',
    ]);
  });

  it("sends a removal's reason, and force only when asked", async () => {
    const backend = new HttpBackend({ baseUrl: base, token: 't' });
    await backend.removePair('acme', { reason: 'customer left' });
    await backend.removePair('acme', { reason: 'decommissioned', operator: 'bob', force: true });
    expect(seen).toEqual([
      { method: 'DELETE', url: '/api/pairs/acme?reason=customer+left' },
      { method: 'DELETE', url: '/api/pairs/acme?reason=decommissioned&operator=bob&force=true' },
    ]);
  });
});
