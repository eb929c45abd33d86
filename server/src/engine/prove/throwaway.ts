// Throwaway databases for the round trip and the lock trace: a copy of the dev database
// (`CREATE DATABASE … TEMPLATE`), or an empty one on the same server, always dropped at the end.
//
// Every throwaway database is named `zdm_<purpose>_<pid>_<time>_<random>`, so that:
//   - the process's own ones are listed in a registry, dropped in `finally` and by the CLI's SIGINT /
//     SIGTERM handler (`dropAllThrowaways`), which first ends this process's sessions (a CREATE
//     DATABASE still running would otherwise finish after the drop);
//   - a run killed without a chance to clean up (SIGKILL, a power cut) leaves a database the next run
//     recognises and drops (`dropLeftovers`): one with the prefix, no open connection, and a creating
//     process that no longer runs on this machine (or that is more than a day old).
//
// `CREATE DATABASE … TEMPLATE` needs the source database to have no other connection. When it has
// (an application, a psql session), the copy is retried for a moment, then `SourceBusyError` names
// the sessions in the way, and the caller decides (the round trip and the trace fall back to an empty
// database on which the applied migrations are replayed, and say so).

import { randomBytes } from 'node:crypto';
import { dbErrorInfo, openSession, quoteIdent, type Session } from '../runner/db';
import { parsePgUrl, withQuery } from '../runner/url';

export type ThrowawayPurpose = 'roundtrip' | 'trace';

/** Names of throwaway databases: `zdm_roundtrip_4242_lx2k9a_1f3c`. */
export const THROWAWAY_PATTERN = /^zdm_(roundtrip|trace)_(\d+)_([0-9a-z]+)_[0-9a-f]+$/;

export interface Throwaway {
  name: string;
  /** A URL to the throwaway database (same server, user and password as the dev database). */
  url: string;
  /** 'copy': a copy of the dev database; 'empty': a new empty database. */
  base: 'copy' | 'empty';
  /** The database it was copied from. */
  source?: string;
  /** Drops it (idempotent). */
  drop(): Promise<void>;
}

export class SourceBusyError extends Error {
  constructor(
    message: string,
    readonly sessions: { pid: number; application: string; client?: string; state?: string }[],
  ) {
    super(message);
  }
}

export class ThrowawayError extends Error {}

interface Registered {
  name: string;
  maintenanceUrl: string;
  /** Backend pids of this process's sessions to end before dropping. */
  sessions: Set<number>;
}

const registry = new Map<string, Registered>();

/** A unique throwaway name for this process. */
export function throwawayName(purpose: ThrowawayPurpose): string {
  return `zdm_${purpose}_${process.pid}_${Math.floor(Date.now() / 1000).toString(36)}_${randomBytes(2).toString('hex')}`;
}

/** The URL of another database on the same server (same user, password, host and options). */
export function databaseUrl(url: string, database: string): string {
  // A `dbname=` in the query wins over the path (libpq's reading): it is the one to replace.
  const parsed = parsePgUrl(url);
  if (!('error' in parsed) && parsed.params.has('dbname')) return withQuery(url, new Map([['dbname', database]]));
  try {
    const whatwg = new URL(url);
    whatwg.pathname = `/${encodeURIComponent(database)}`;
    return whatwg.toString();
  } catch {
    // `postgres://user@/db?host=/tmp`: not a WHATWG URL; replace the path by hand.
    return url.replace(/^(postgres(?:ql)?:\/\/[^/?]*)(\/[^?]*)?/i, `$1/${encodeURIComponent(database)}`);
  }
}

/** The database a URL names, as libpq reads it (a `dbname=` in the query included; its default: the user name). */
export function databaseOf(url: string): string {
  const parsed = parsePgUrl(url);
  if ('error' in parsed) return 'postgres';
  return parsed.database || parsed.user || 'postgres';
}

/** Opens a session on the server's maintenance database (`postgres`, else `template1`; never the database being copied). */
export async function openMaintenanceSession(url: string): Promise<{ session: Session; url: string }> {
  let firstError: unknown;
  const source = databaseOf(url);
  for (const name of ['postgres', 'template1'].filter((n) => n !== source)) {
    const maintenanceUrl = databaseUrl(url, name);
    try {
      return { session: await openSession(maintenanceUrl, { applicationName: 'zdm prove' }), url: maintenanceUrl };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

export interface CreateOptions {
  purpose: ThrowawayPurpose;
  /** The dev database's URL: the copy's source, and the server the database is created on. */
  devUrl: string;
  /** 'copy' (CREATE DATABASE … TEMPLATE dev) or 'empty'. */
  base: 'copy' | 'empty';
  /** How long to retry a copy while other sessions use the dev database (default 2 s). */
  busyRetryMs?: number;
  log?: (message: string) => void;
}

/**
 * Creates a throwaway database. Leftovers of killed runs are dropped first. The database is registered
 * before CREATE DATABASE is sent, so an interrupt at any point drops it.
 */
export async function createThrowaway(options: CreateOptions): Promise<Throwaway> {
  const { session, url: maintenanceUrl } = await openMaintenanceSession(options.devUrl);
  const name = throwawayName(options.purpose);
  const entry: Registered = { name, maintenanceUrl, sessions: new Set([session.backendPid]) };
  registry.set(name, entry);
  const source = databaseOf(options.devUrl);
  try {
    const dropped = await dropLeftovers(session);
    if (dropped.length > 0) options.log?.(`Dropped ${dropped.length} throwaway database${dropped.length === 1 ? '' : 's'} left by an interrupted run: ${dropped.join(', ')}`);
    if (options.base === 'copy') await copyDatabase(session, name, source, options.busyRetryMs ?? 2000);
    else await session.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (error) {
    registry.delete(name);
    await session.close();
    if (error instanceof SourceBusyError) throw error;
    const info = dbErrorInfo(error);
    if (info?.code === '42501') {
      throw new ThrowawayError(
        `Cannot create a throwaway database: the role lacks the right (${info.message}). ${options.base === 'copy' ? `Copying ${source} needs CREATEDB and ownership of ${source} (or superuser)` : 'It needs CREATEDB'}; use the embedded server (no URL configured) or a role with CREATEDB.`,
      );
    }
    throw error;
  }
  await session.close();
  entry.sessions.delete(session.backendPid);
  let dropped = false;
  return {
    name,
    url: databaseUrl(options.devUrl, name),
    base: options.base,
    source: options.base === 'copy' ? source : undefined,
    async drop() {
      if (dropped) return;
      await dropRegistered(entry);
      dropped = true;
    },
  };
}

/** Remembers a session on a throwaway database, so that an interrupt ends it before the drop. */
export function trackSession(throwaway: Throwaway, session: Session): void {
  registry.get(throwaway.name)?.sessions.add(session.backendPid);
}

/** Drops every throwaway database this process created and has not dropped yet (interrupt handlers). */
export async function dropAllThrowaways(): Promise<string[]> {
  const names: string[] = [];
  for (const entry of [...registry.values()]) {
    try {
      await dropRegistered(entry);
      names.push(entry.name);
    } catch {
      // The next run's leftover sweep drops it.
    }
  }
  return names;
}

/** The throwaway databases this process still holds (tests, diagnostics). */
export function liveThrowaways(): string[] {
  return [...registry.keys()];
}

async function dropRegistered(entry: Registered): Promise<void> {
  const session = await openSession(entry.maintenanceUrl, { applicationName: 'zdm prove cleanup' });
  try {
    // End this process's sessions first: one may still be creating the database.
    if (entry.sessions.size > 0) {
      await session.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND pid <> pg_backend_pid()', [[...entry.sessions]]).catch(() => undefined);
    }
    await dropDatabase(session, entry.name);
    registry.delete(entry.name);
  } finally {
    await session.close();
  }
}

/** DROP DATABASE IF EXISTS, ending any session still connected to it. */
export async function dropDatabase(session: Session, name: string): Promise<void> {
  if (session.serverVersion >= 13) {
    await session.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    return;
  }
  await session.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  await session.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
}

/**
 * Drops throwaway databases left by runs that were killed: named like ours, with no open connection,
 * and made by a process that no longer runs here (or more than a day ago). Returns their names.
 */
export async function dropLeftovers(session: Session, options: { isAlive?: (pid: number) => boolean; now?: number } = {}): Promise<string[]> {
  const rows = await session.query<{ datname: string; connections: number }>(
    `SELECT d.datname, (SELECT count(*)::int FROM pg_stat_activity a WHERE a.datname = d.datname AND a.backend_type = 'client backend') AS connections
       FROM pg_database d WHERE d.datname LIKE 'zdm\\_%' ORDER BY d.datname`,
  );
  const isAlive = options.isAlive ?? processIsAlive;
  const now = options.now ?? Date.now();
  const dropped: string[] = [];
  for (const row of rows) {
    const m = THROWAWAY_PATTERN.exec(row.datname);
    if (!m || row.connections > 0 || registry.has(row.datname)) continue;
    const pid = Number(m[2]);
    const createdMs = Number.parseInt(m[3], 36) * 1000;
    const stale = now - createdMs > 24 * 3600 * 1000;
    if (!stale && pid !== process.pid && isAlive(pid)) continue;
    try {
      await dropDatabase(session, row.datname);
      dropped.push(row.datname);
    } catch {
      // Someone else's, or just connected to: leave it.
    }
  }
  return dropped;
}

async function copyDatabase(session: Session, name: string, source: string, retryMs: number): Promise<void> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      await session.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(source)}`);
      return;
    } catch (error) {
      const info = dbErrorInfo(error);
      if (info?.code !== '55006') throw error;
      if (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const sessions = await session
        .query<{ pid: number; application: string; client: string | null; state: string | null }>(
          `SELECT pid, application_name AS application, client_addr::text AS client, state FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid`,
          [source],
        )
        .catch(() => []);
      const list = sessions.map((s) => `pid ${s.pid}${s.application ? ` (${s.application})` : ''}${s.client ? ` from ${s.client}` : ''}`).join(', ');
      throw new SourceBusyError(
        `Cannot copy ${source}: CREATE DATABASE … TEMPLATE needs it to have no other connection, and ${sessions.length || 'some'} session${sessions.length === 1 ? ' is' : 's are'} connected${list ? `: ${list}` : ''}.`,
        sessions.map((s) => ({ pid: s.pid, application: s.application, client: s.client ?? undefined, state: s.state ?? undefined })),
      );
    }
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
