// Pair settings for the fault scenarios: a primary on the primary host, the standby's web server, the
// "internet" site as validation URL, and action URLs that PATCH the pair's name in PowerDNS.

import type { ActionSettings, PairSettings } from '../../src/shared/model.js';
import { INTERNET, PRIMARY, STANDBY, ZONE_URL } from './lab.js';
import { pointBody } from './pdns.js';

export interface PairOptions {
  /** Port of the primary's web server on the primary host. */
  port: number;
  /** The primary host's address the pair watches (default PRIMARY). */
  primaryAddress?: string;
  path?: string;
  interval?: number;
  tolerated?: number;
  timeout?: number;
  /** Attempts of the action in all. */
  retries?: number;
  /** Seconds an action request may take. */
  actionTimeout?: number;
}

export const INTERVAL = 0.3;

function pointAction(name: string, address: string, comment: string, apiKey: string, o: PairOptions): ActionSettings {
  return {
    method: 'PATCH',
    url: ZONE_URL,
    encoding: 'json',
    auth: 'none',
    headers: [{ name: 'X-API-Key', value: apiKey }],
    body: pointBody(name, address, comment),
    retries: o.retries ?? 5,
    timeout: o.actionTimeout ?? 5,
    // A PowerDNS PATCH with changetype REPLACE sets the record; sending it twice changes nothing more,
    // so an attempt a crash interrupted may be sent again (scenario 8).
    idempotent: true,
  };
}

/** A pair whose DNS name (relative to the zone) is its id. */
export function faultPair(id: string, apiKey: string, o: PairOptions): PairSettings {
  const settings: PairSettings = {
    id,
    name: `Fault scenario ${id}`,
    primaryUrl: `http://${o.primaryAddress ?? PRIMARY}:${o.port}/${o.path ?? 'status'}`,
    standbyUrl: `http://${STANDBY}/`,
    interval: o.interval ?? INTERVAL,
    toleratedFailures: o.tolerated ?? 2,
    acceptStatus: '200',
    validation: { quorum: 1, urls: [`http://${INTERNET}/`] },
    // The comment carries template variables, so PowerDNS itself checks the JSON the engine fills in.
    action: pointAction(id, STANDBY, 'failover of {pair} to {to}, manual {manual}: {reason}', apiKey, o),
    failbackAction: pointAction(id, PRIMARY, 'failback of {pair}: {reason}', apiKey, o),
  };
  if (o.timeout !== undefined) settings.timeout = o.timeout;
  return settings;
}
