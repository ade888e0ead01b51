// "Test URLs" in the editor: one check of a draft's primary, standby and validation URLs now, with
// the draft's timeout and accepted statuses. The draft's URLs, interval, timeout and accepted statuses
// are checked by the shared validator (the same rules as saving the pair); the parts a test does not
// use (its action, tolerated failures, quorum) may still be unfinished.

import { MonitorError } from '../shared/api.js';
import type { CheckResult, PairSettings, Problem } from '../shared/model.js';
import { compileAcceptStatus } from '../shared/accept-status.js';
import { effectiveTimeout } from '../shared/rules.js';
import { maskUrl } from '../shared/secrets.js';
import { validatePairSettings } from '../shared/validate.js';
import { prepareUrl, type HttpClient } from './http-client.js';
import type { Clock, SipClient } from './ports.js';
import { probeOnce } from './probe.js';
import { compileSip, planOnce } from './sip-probe.js';
import { isObject } from './requests.js';

/** A test answers while the operator waits: no check of it takes longer than this, whatever the pair's timeout. */
const TEST_TIMEOUT_MAX_S = 30;
/** The interval assumed when the draft has none yet (it sets the default timeout). */
const DRAFT_INTERVAL_S = 5;
/** Stand-ins for what a test does not use, so that the validator checks only what it does use. */
const STAND_IN_ID = 'test-urls';
const STAND_IN_ACTION = { url: 'http://127.0.0.1/' };

export interface TestUrlsDeps {
  client: HttpClient;
  /** SIP OPTIONS of `<primary-sip>` / `<standby-sip>`, sent together with the HTTP check of their target. */
  sip: SipClient;
  clock: Clock;
  /** The stored pair the draft edits, if any: a URL shown masked by the editor stands for its stored URL. */
  existing?: PairSettings | undefined;
}

export async function testUrls(draft: PairSettings, deps: TestUrlsDeps): Promise<CheckResult[]> {
  const probe = readProbeSettings(draft, deps.existing);
  const timeoutMs =
    effectiveTimeout({
      interval: probe.interval,
      timeout: probe.timeout === undefined ? undefined : Math.min(probe.timeout, TEST_TIMEOUT_MAX_S),
    }) * 1000;
  const accept = compileAcceptStatus(probe.acceptStatus);
  const checks: Array<Promise<CheckResult>> = [
    planOnce(
      deps,
      'primary',
      { http: prepareUrl(probe.primaryUrl), sip: compileSip(probe.primarySip), display: maskUrl(probe.primaryUrl) },
      timeoutMs,
      accept,
      deps.clock.now,
    ),
  ];
  if (probe.standbyUrl !== undefined || probe.standbySip) {
    const http = probe.standbyUrl !== undefined ? prepareUrl(probe.standbyUrl) : undefined;
    const display = probe.standbyUrl !== undefined ? maskUrl(probe.standbyUrl) : probe.standbySip!.uri;
    const plan = { http, sip: compileSip(probe.standbySip), display };
    checks.push(planOnce(deps, 'standby', plan, timeoutMs, accept, deps.clock.now));
  }
  for (const url of probe.validation.urls) {
    checks.push(
      probeOnce(deps.client, 'validation', url, timeoutMs, accept, deps.clock.now).then((result) => ({
        ...result,
        url: maskUrl(url),
      })),
    );
  }
  return Promise.all(checks);
}

/** The draft's probing settings as the validator accepts them (masked URLs resolved); a 400 naming each field otherwise. */
function readProbeSettings(draft: PairSettings, existing: PairSettings | undefined): PairSettings {
  const d: Record<string, unknown> = isObject(draft) ? draft : {};
  const validation = isObject(d['validation']) ? d['validation'] : {};
  const urls = validation['urls'] ?? [];
  const candidate = {
    id: STAND_IN_ID,
    primaryUrl: d['primaryUrl'],
    standbyUrl: d['standbyUrl'],
    interval: d['interval'] ?? DRAFT_INTERVAL_S,
    toleratedFailures: 0,
    timeout: d['timeout'],
    acceptStatus: d['acceptStatus'],
    primarySip: d['primarySip'],
    standbySip: d['standbySip'],
    // The quorum is not tested: any that fits the list.
    validation: { quorum: Array.isArray(urls) && urls.length > 0 ? 1 : 0, urls },
    action: STAND_IN_ACTION,
  };
  const result = validatePairSettings(candidate, existing ? { existing } : {});
  if (result.ok) return result.settings;
  // The problems are the draft's, not the stand-in pair's.
  const problems: Problem[] = result.problems.map(({ field, message }) => ({ field, message }));
  if (problems.some((p) => p.field === 'primaryUrl' && p.message === 'is required')) {
    throw new MonitorError('invalid', 'test-urls needs pair settings with at least a primary URL', problems);
  }
  throw new MonitorError(
    'invalid',
    `the URLs cannot be tested: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    problems,
  );
}
