// The items of failover readiness, one function each: does the standby answer, is its certificate
// good for long enough, do the DNS servers agree and hold a known answer with a short TTL, does the
// action receiver take a connection, do enough validation sites answer. None sends an action.

import { acceptOnly200, compileAcceptStatus } from '../shared/accept-status.js';
import { sameSet } from '../shared/dns-values.js';
import type { PairSettings, PairStatus } from '../shared/model.js';
import type { CertificateStatus, ReadinessItem } from '../shared/pbx-health.js';
import { effectiveTimeout } from '../shared/rules.js';
import { probeOnce } from './probe.js';
import type { EngineContext } from './ports.js';
import { reachUrl } from './reachability.js';
import type { SharedProbes } from './shared-probes.js';

export interface ItemInputs {
  settings: PairSettings;
  /** The watcher's live status: the standby's last check. */
  status: PairStatus | undefined;
  /** The certificates last read for the pair (certificate watch), if any are watched. */
  certificates: readonly CertificateStatus[] | undefined;
  ctx: ReadinessContext;
  isoNow: () => string;
  /** Answers shared with the other pairs' rounds of the last few seconds (shared-probes.ts). */
  shared: SharedProbes;
  /** The operator asked for this round: probe afresh rather than take a shared answer. */
  fresh: boolean;
}

/** The engine's context (its DNS client asks the `<dns-verify>` servers). */
export type ReadinessContext = EngineContext;

export type Item = Omit<ReadinessItem, 'checkedAt'>;

export function standbyItem({ settings, status }: ItemInputs): Item | undefined {
  if (settings.standbyUrl === undefined && settings.standbySip === undefined) return undefined;
  const last = status?.lastStandby;
  if (!last) return { key: 'standby', ok: false, message: 'the standby has not been checked yet' };
  if (status.standbyDown || !last.ok) {
    return {
      key: 'standby',
      ok: false,
      message: `the standby does not answer (${last.error ?? 'failed'}): a failover now would point phones at a dead PBX; bring the standby up first`,
    };
  }
  return { key: 'standby', ok: true, message: `the standby answers (${Math.round(last.latencyMs)} ms)` };
}

export function certificateItem({ settings, certificates }: ItemInputs): Item | undefined {
  if (!certificates || certificates.length === 0) return undefined;
  const critical = settings.certificates?.criticalDays ?? 7;
  const bad: string[] = [];
  for (const c of certificates) {
    const where = `${c.name} at ${c.address}`;
    if (c.error !== undefined) bad.push(`${where}: ${c.error}`);
    else if (c.nameMatches === false) bad.push(`${where} is not valid for that name`);
    else if (c.daysLeft !== undefined && c.daysLeft <= critical) {
      bad.push(`${where} ${c.daysLeft < 0 ? 'has expired' : `expires in ${c.daysLeft} d`}`);
    }
  }
  if (bad.length) {
    return { key: 'certificate', ok: false, message: `${bad.join('; ')}: renew the certificate before a failover` };
  }
  const fewest = Math.min(...certificates.map((c) => c.daysLeft ?? Infinity));
  return {
    key: 'certificate',
    ok: true,
    message: Number.isFinite(fewest) ? `certificates valid, fewest ${fewest} d left` : 'certificates valid',
  };
}

export async function dnsItem({ settings, ctx }: ItemInputs): Promise<Item | undefined> {
  const dv = settings.dnsVerify;
  if (!dv) return undefined;
  const timeoutMs = 3000;
  const asked = await Promise.all(
    dv.servers.map(async (server) => {
      const [answer, soa] = await Promise.all([
        ctx.dns.query(server, dv.name, dv.type, timeoutMs),
        // The SOA of the zone comes back in the authority section when the name is not its apex.
        ctx.dns.query(server, dv.name, 'SOA', timeoutMs),
      ]);
      return { server, answer, serial: soa.serial ?? answer.serial };
    }),
  );
  const problems: string[] = [];
  for (const { server, answer } of asked) {
    if (answer.error !== undefined) problems.push(`${server}: ${answer.error}`);
    else if (answer.rcode !== 'NOERROR') problems.push(`${server} answers ${answer.rcode ?? 'nothing'}`);
    else if (!answer.authoritative) problems.push(`${server} is not authoritative for ${dv.name}`);
  }
  if (problems.length === 0) {
    const first = asked[0]!;
    for (const other of asked.slice(1)) {
      if (!sameSet(first.answer.answers, other.answer.answers)) {
        problems.push(
          `${other.server} answers ${list(other.answer.answers)} but ${first.server} answers ${list(first.answer.answers)}`,
        );
      } else if (first.serial !== undefined && other.serial !== undefined && first.serial !== other.serial) {
        problems.push(
          `${other.server} has SOA serial ${other.serial} but ${first.server} has ${first.serial}: a secondary is out of sync`,
        );
      }
    }
  }
  if (problems.length === 0) {
    const answers = asked[0]!.answer.answers;
    const known = sameSet(answers, dv.failback) || sameSet(answers, dv.failover);
    if (!known) {
      problems.push(
        `the servers answer ${list(answers)}, neither the failback set ${list(dv.failback)} nor the failover set ${list(dv.failover)}`,
      );
    }
    const ttl = Math.max(...asked.map((a) => a.answer.ttl ?? 0));
    if (ttl > dv.maxTtl) {
      problems.push(`the TTL is ${ttl} s, above max-ttl ${dv.maxTtl} s: phones would keep the old address that long`);
    }
  }
  if (problems.length) return { key: 'dns', ok: false, message: problems.join('; ') };
  return {
    key: 'dns',
    ok: true,
    message: `${asked.length} server${asked.length === 1 ? '' : 's'} agree on ${list(asked[0]!.answer.answers)}`,
  };
}

export async function actionReceiverItem({ settings, shared, fresh }: ItemInputs): Promise<Item> {
  const url = settings.action.url;
  const timeoutMs = Math.min(settings.action.timeout, 10) * 1000;
  let where: string;
  try {
    const u = new URL(url);
    where = `${u.protocol}//${u.host}`;
  } catch {
    where = 'the action URL';
  }
  // Only where the connection goes matters (never the path or query, which may carry a secret).
  const key = where === 'the action URL' ? `reach ${timeoutMs} ${url}` : `reach ${timeoutMs} ${where}`;
  const reach = await shared.get(key, () => reachUrl(url, timeoutMs), fresh);
  return reach.ok
    ? { key: 'action-receiver', ok: true, message: `${where} takes connections (${reach.latencyMs} ms)` }
    : {
        key: 'action-receiver',
        ok: false,
        message: `${where} does not take a connection (${reach.error}): the failover action could not be sent`,
      };
}

export async function validationItem({ settings, ctx, shared, fresh }: ItemInputs): Promise<Item> {
  const { quorum, urls } = settings.validation;
  if (urls.length === 0) {
    return { key: 'validation', ok: true, message: 'no validation URLs (quorum 0): no isolation protection' };
  }
  const accept = settings.acceptStatus ? compileAcceptStatus(settings.acceptStatus) : acceptOnly200;
  const timeoutMs = effectiveTimeout(settings) * 1000;
  const results = await Promise.all(
    urls.map((url) =>
      shared.get(
        `validation ${timeoutMs} ${settings.acceptStatus} ${url}`,
        () => probeOnce(ctx.client, 'validation', url, timeoutMs, accept, () => ctx.clock.now()),
        fresh,
      ),
    ),
  );
  const answering = results.filter((r) => r.ok).length;
  return answering >= quorum
    ? {
        key: 'validation',
        ok: true,
        message: `${answering} of ${urls.length} validation URLs answer (quorum ${quorum})`,
      }
    : {
        key: 'validation',
        ok: false,
        message: `only ${answering} of ${urls.length} validation URLs answer, quorum is ${quorum}: the watcher would count as cut off and never fail over`,
      };
}

function list(values: readonly string[]): string {
  return values.length ? values.join(' ') : '(nothing)';
}
