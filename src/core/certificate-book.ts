// The certificates last read of every pair, kept where every pair's status can read them (the
// engine context): the certificate watch writes, PairMachine.status() and GET /api/pairs/:id read.

import { CERTIFICATE_LEVELS, type CertificateLevel, type CertificateStatus } from '../shared/pbx-health.js';
import type { CertificateBook } from './ports.js';

const RANK = new Map<CertificateLevel, number>(CERTIFICATE_LEVELS.map((level, i) => [level, i]));

export function createCertificateBook(): CertificateBook {
  const byPair = new Map<string, CertificateStatus[]>();
  return {
    list: (pair) => byPair.get(pair)?.map((c) => ({ ...c })) ?? [],
    summary(pair) {
      let daysLeft: number | undefined;
      let level: CertificateLevel | undefined;
      for (const c of byPair.get(pair) ?? []) {
        if (c.daysLeft !== undefined && (daysLeft === undefined || c.daysLeft < daysLeft)) daysLeft = c.daysLeft;
        if (c.level !== undefined && (level === undefined || RANK.get(c.level)! > RANK.get(level)!)) level = c.level;
      }
      return { ...(daysLeft !== undefined ? { daysLeft } : {}), ...(level !== undefined ? { level } : {}) };
    },
    set: (pair, list) => void byPair.set(pair, list),
    delete: (pair) => void byPair.delete(pair),
  };
}
