// Thousands of pairs are written straight into pbxctrl-failover.xml (the
// contract's shape) rather than added one by one through the API, the way a
// NOC with a large installation starts the app: from its file.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PairSettings } from '../src/shared/model.js';

export interface BenchPair {
  id: string;
  primaryUrl: string;
  /** The SIP variant: `<primary-sip transport="udp">` beside the HTTP check. */
  primarySip?: string;
}

export interface PairsFile {
  pairs: BenchPair[];
  intervalS: number;
  toleratedFailures: number;
  validationUrl: string;
  /** The pair id is appended, so the receiver can tell which pair failed over. */
  actionUrlBase: string;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const ACTION_BODY = '{"pair":"{pair}","reason":"{reason}"}';

/** The same pair as pairsXml() writes it, for adding through the API. */
export function pairSettings(pair: BenchPair, file: Omit<PairsFile, 'pairs'>): PairSettings {
  return {
    id: pair.id,
    name: `Bench ${pair.id}`,
    primaryUrl: pair.primaryUrl,
    ...(pair.primarySip ? { primarySip: { uri: pair.primarySip, transport: 'udp' as const, accept: '200-299' } } : {}),
    interval: file.intervalS,
    toleratedFailures: file.toleratedFailures,
    acceptStatus: '200',
    validation: { quorum: 1, urls: [file.validationUrl] },
    action: {
      method: 'POST',
      url: file.actionUrlBase + pair.id,
      encoding: 'json',
      auth: 'none',
      headers: [],
      body: ACTION_BODY,
      retries: 3,
      timeout: 5,
    },
  };
}

export function pairsXml(file: PairsFile): string {
  const pairs = file.pairs.map(
    (p) => `  <pair id="${p.id}">
    <name>Bench ${p.id}</name>
    <primary-url>${escapeXml(p.primaryUrl)}</primary-url>${p.primarySip ? `\n    <primary-sip transport="udp">${escapeXml(p.primarySip)}</primary-sip>` : ''}
    <interval>${file.intervalS}</interval>
    <tolerated-failures>${file.toleratedFailures}</tolerated-failures>
    <validation quorum="1"><url>${escapeXml(file.validationUrl)}</url></validation>
    <action method="POST" encoding="json" retries="3" timeout="5">
      <url>${escapeXml(file.actionUrlBase + p.id)}</url>
      <body>${ACTION_BODY}</body>
    </action>
  </pair>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<pbxctrl-failover version="1">\n${pairs.join('\n')}\n</pbxctrl-failover>\n`;
}

export async function writePairsFile(serverdir: string, file: PairsFile, xml = pairsXml(file)): Promise<void> {
  await mkdir(serverdir, { recursive: true });
  await writeFile(join(serverdir, 'pbxctrl-failover.xml'), xml);
}

/** Pair i polls path /p/i on one of the shared ports, round-robin. */
export function benchPairs(count: number, ports: number[]): BenchPair[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => ({
    id: `p${String(i).padStart(width, '0')}`,
    primaryUrl: `http://127.0.0.1:${ports[i % ports.length]}/p/${i}`,
  }));
}
