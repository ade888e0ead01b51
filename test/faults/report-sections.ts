// Further generated sections of docs/RELIABILITY.md, each written by its own fault suite file (the
// DNS verification's is test/faults/dns.test.ts) between markers, so that each file's run replaces
// only its own section and the main table's run (report.ts) keeps them.

import { execFileSync } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../../docs/RELIABILITY.md', import.meta.url));
const SECTION = /<!-- section:([a-z-]+) -->[\s\S]*?<!-- \/section:\1 -->\n?/g;

/** Every marked section of the document as it is now, to be kept when the rest is regenerated. */
export async function keptSections(): Promise<string> {
  const text = await readFile(DOC, 'utf8').catch(() => '');
  return [...text.matchAll(SECTION)].map((m) => m[0].trimEnd() + '\n').join('\n');
}

function commitTested(): string {
  try {
    const cwd = dirname(DOC);
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', cwd }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8', cwd }).trim();
    return dirty ? `${sha} (src/ with uncommitted changes)` : sha;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Replaces (or appends) section `key` of docs/RELIABILITY.md with `body`, stamped with the run. */
export async function writeSection(
  key: string,
  heading: string,
  body: string,
  summary: { passed: number; total: number; runtimeMs: number; file: string },
  when = new Date(),
): Promise<string> {
  const stamp =
    `**Last run:** ${when.toISOString()} on \`${hostname()}\`, commit ${commitTested()}: ${summary.passed} of ` +
    `${summary.total} scenarios passed, time ${(summary.runtimeMs / 1000).toFixed(2)} s (file \`${summary.file}\`).`;
  const block = `<!-- section:${key} -->\n## ${heading}\n\n${stamp}\n\n${body.trim()}\n<!-- /section:${key} -->\n`;
  const text = await readFile(DOC, 'utf8').catch(() => '# Reliability under real faults\n');
  const marker = new RegExp(`<!-- section:${key} -->[\\s\\S]*?<!-- /section:${key} -->\\n?`);
  const next = marker.test(text) ? text.replace(marker, block) : `${text.trimEnd()}\n\n${block}`;
  const tmp = join(dirname(DOC), `.RELIABILITY.md.${process.pid}.tmp`);
  await writeFile(tmp, next);
  await rename(tmp, DOC);
  return DOC;
}
