// Where a setting stands in pbxctrl-failover.xml. Problems carry the field path
// of the API (`toleratedFailures`, `action.headers[0].name`); people who edit
// the file look for the element (`tolerated-failures`, `action/header[1]/@name`).
// This is the one mapping between the two, used by the dashboard beside every
// form field and problem, and (reversed) by the XML reader.

/** Field names of a pair, and of its actions, whose element name differs. */
const ELEMENT_OF: Record<string, string> = {
  id: '@id',
  primaryUrl: 'primary-url',
  standbyUrl: 'standby-url',
  toleratedFailures: 'tolerated-failures',
  acceptStatus: 'accept-status',
  failbackAction: 'failback-action',
  actionProgress: 'action-progress',
  headers: 'header',
  urls: 'url',
  quorum: '@quorum',
  since: '@since',
  startedAt: '@started-at',
  finishedAt: '@finished-at',
  latencyMs: '@latency-ms',
  attempts: 'attempt',
  primarySip: 'primary-sip',
  standbySip: 'standby-sip',
  warnDays: '@warn-days',
  criticalDays: '@critical-days',
  checks: 'check',
  dnsVerify: 'dns-verify',
  readinessInterval: 'readiness/@interval',
  vantageQuorum: 'vantage/@quorum',
  servers: 'server',
};

/** Fields whose attribute name differs (`maxTtl` → `@max-ttl`). */
const ATTRIBUTE_NAME_OF: Record<string, string> = { maxTtl: 'max-ttl' };

/** Fields that are attributes of their element (`<action method="…">`, `<header name="…">`). */
const ATTRIBUTES_OF: Record<string, readonly string[]> = {
  action: ['method', 'encoding', 'auth', 'retries', 'timeout'],
  failbackAction: ['method', 'encoding', 'auth', 'retries', 'timeout'],
  headers: ['name'],
  actionProgress: ['kind', 'phase', 'manual'],
  request: ['method', 'url'],
  attempts: ['ok', 'status', 'error', 'at'],
  primarySip: ['transport', 'accept', 'verify'],
  standbySip: ['transport', 'accept', 'verify'],
  checks: ['name', 'address'],
  dnsVerify: ['name', 'type', 'failover', 'failback', 'within', 'maxTtl'],
};

/** Fields that are the text of their parent element rather than a child (`<header name="X">value</header>`). */
const TEXT_OF: Record<string, readonly string[]> = { headers: ['value'], primarySip: ['uri'], standbySip: ['uri'] };

/** Element names of the XML whose field name differs, for problems found while reading the tree. */
export const FIELD_OF_ELEMENT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ELEMENT_OF)
    .filter(([, el]) => !el.startsWith('@'))
    .map(([field, el]) => [el, field]),
);

/**
 * The XML path, relative to the pair's `<pair>` element, of a problem's field:
 * `toleratedFailures` → `tolerated-failures`, `action.url` → `action/url`,
 * `action.retries` → `action/@retries`, `validation.urls[1]` → `validation/url[2]` (XPath counts from 1).
 * Fields outside a pair (`file`, `version`, `reason`) come back unchanged.
 */
export function xmlPathOf(field: string): string {
  if (field === 'file' || field === 'pair' || field === '') return field;
  if (field === 'version') return '@version';
  const out: string[] = [];
  let parent: string | undefined;
  for (const segment of field.split('.')) {
    const m = /^([A-Za-z]+)(?:\[(\d+)\])?$/.exec(segment);
    if (!m) return field;
    const name = m[1]!;
    const index = m[2] === undefined ? '' : `[${Number(m[2]) + 1}]`;
    if (parent !== undefined && TEXT_OF[parent]?.includes(name)) {
      parent = name;
      continue;
    }
    const attribute = parent !== undefined && ATTRIBUTES_OF[parent]?.includes(name);
    out.push(attribute ? `@${ATTRIBUTE_NAME_OF[name] ?? name}${index}` : `${ELEMENT_OF[name] ?? name}${index}`);
    parent = name;
  }
  return out.join('/');
}
