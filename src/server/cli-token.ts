// pbx-failover-monitor token add NAME --role viewer|operator|admin | token list | token revoke NAME
// (all with --serverdir DIR). The token is printed once, by add; the file keeps only its hash. A running
// service sees the change within a second (a revoked token's requests and event streams end).

import { MonitorError, ROLES } from '../shared/api.js';
import { TokenStore } from './tokens.js';

export interface TokenIo {
  out(line: string): void;
  err(line: string): void;
}

export const TOKEN_USAGE = `  pbx-failover-monitor token add <name> --role viewer|operator|admin [--serverdir <dir>]
  pbx-failover-monitor token list [--serverdir <dir>]
  pbx-failover-monitor token revoke <name> [--serverdir <dir>]`;

export class TokenUsageError extends Error {}

/** Runs a token command; 0 done, 1 could not (a name taken or unknown, a file unreadable). */
export async function runTokenCommand(
  args: string[],
  opts: { serverdir: string; role?: string | undefined },
  io: TokenIo,
): Promise<number> {
  const [sub, ...rest] = args;
  const store = new TokenStore(opts.serverdir);
  try {
    if (sub === 'add') {
      if (rest.length !== 1) throw new TokenUsageError('token add takes one name: token add <name> --role <role>');
      if (opts.role === undefined) throw new TokenUsageError(`token add needs --role (${ROLES.join(', ')})`);
      if (!(ROLES as readonly string[]).includes(opts.role)) {
        throw new TokenUsageError(`--role must be one of ${ROLES.join(', ')}, not "${opts.role}"`);
      }
      const { token, info } = await store.add(rest[0]!, opts.role as (typeof ROLES)[number]);
      io.err(`Added token "${info.name}" with role ${info.role}. It is shown this once; keep it safe:`);
      io.out(token);
      return 0;
    }
    if (opts.role !== undefined) throw new TokenUsageError('--role goes with token add only');
    if (sub === 'list') {
      if (rest.length > 0) throw new TokenUsageError('token list takes no arguments');
      const tokens = await store.list();
      if (tokens.length === 0) io.out('no named tokens (the admin token is <serverdir>/api-token)');
      for (const t of tokens) {
        io.out(`${t.name}\t${t.role}\tcreated ${t.created}\tlast used ${t.lastUsed ?? 'never'}`);
      }
      return 0;
    }
    if (sub === 'revoke') {
      if (rest.length !== 1) throw new TokenUsageError('token revoke takes one name: token revoke <name>');
      await store.revoke(rest[0]!);
      io.err(`Revoked token "${rest[0]}"; a running service refuses it from now on.`);
      return 0;
    }
    throw new TokenUsageError(`unknown token command "${sub ?? ''}" (add, list, revoke)`);
  } catch (error) {
    if (error instanceof MonitorError) {
      io.err(`pbx-failover-monitor: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
