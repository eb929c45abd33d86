// The only module that touches a database (ARCHITECTURE.md invariant 4): connections through `pg`,
// helpers that take a callback so a connection, a transaction or the advisory lock can never be left
// open, and identifier quoting. Values always travel as query parameters; identifiers that cannot be
// parameters (table names from .zdm.json) go through `quoteIdent`.

import * as net from 'node:net';
import type { Client as PgClient } from 'pg';
import { connectTimeoutOf, describeUrl, maskUrl, parsePgUrl, pgConnectionString, withQuery } from './url';

let pgModule: typeof import('pg') | undefined;

/**
 * Loads `pg` on first use. While it loads, it probes for Cloudflare Workers by constructing a fetch
 * `Response`, which makes Node load its whole fetch implementation (undici, 70 ms and more per CLI
 * call); a `navigator` global answers the probe at once, and is removed again right after.
 */
function loadPg(): typeof import('pg') {
  if (pgModule) return pgModule;
  const g = globalThis as { navigator?: unknown };
  const patched = typeof g.navigator === 'undefined';
  if (patched) g.navigator = { userAgent: `Node.js/${process.versions.node}` };
  try {
    pgModule = require('pg') as typeof import('pg');
  } finally {
    if (patched) delete g.navigator;
  }
  return pgModule;
}

/** One database session on one dedicated connection. */
export interface Session {
  /** Runs one statement. With `params`, values are sent as parameters (extended protocol). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Sends a whole query string as is (simple protocol: several statements run as one implicit transaction). */
  queryText(sql: string): Promise<void>;
  /** Like queryText, returning each statement's rows and field names. */
  queryResults(sql: string): Promise<{ fields: { name: string }[]; rows: Record<string, unknown>[] }[]>;
  /** A statement prepared once per session under `name` (bookkeeping repeated for every migration). */
  queryPrepared(name: string, sql: string, params: readonly unknown[]): Promise<void>;
  /** Forgets prepared statements (after a migration ran DISCARD ALL or DEALLOCATE). */
  forgetPrepared(): void;
  /** The server process id of this session (pg_backend_pid()). */
  readonly backendPid: number;
  /** The server's major version (from server_version_num). */
  readonly serverVersion: number;
  /** The URL, password masked. */
  readonly displayUrl: string;
  /**
   * Asks the server to cancel what this session is running, as psql's Ctrl-C does (a CancelRequest on a
   * connection of its own, needing no password); resolves once the server has taken it. What runs
   * then fails with 57014 "canceling statement due to user request"; an idle session ignores it.
   */
  cancel(): Promise<void>;
  /**
   * True once cancel() was called. What fails with 57014 after it was cancelled on request, whatever the
   * server's language (lc_messages): `isCancelled` reads this rather than the message's words. It stays
   * true: a cancel sent as one statement ends may reach the server as the next one runs, and the run is
   * stopping anyway.
   */
  readonly cancelRequested: boolean;
  /** Listens to the server's notices (NOTICE, INFO, WARNING) as they arrive; returns the unsubscribe. */
  onNotice(listener: (notice: { severity?: string; message: string }) => void): () => void;
  close(): Promise<void>;
}

export interface ConnectOptions {
  applicationName?: string;
  connectTimeoutMs?: number;
}

/** A database error in the shape the runner reports: PostgreSQL's fields, position as a number. */
export interface DbErrorInfo {
  message: string;
  /** SQLSTATE, e.g. 42P01. */
  code?: string;
  severity?: string;
  /** 1-based character (code point) position in the query string that failed. */
  position?: number;
  detail?: string;
  hint?: string;
  /** PL/pgSQL context lines. */
  where?: string;
}

export class ConnectError extends Error {}

/** One parameterized statement of the runner's own (bookkeeping), and the table it writes. */
export interface SqlCommand {
  table: string;
  text: string;
  values: unknown[];
}

/**
 * Runs bookkeeping statements in as few round trips as possible: statements writing different tables
 * are sent as one statement (data-modifying WITH clauses), values still as parameters. Statements on
 * the same table keep their order (sibling WITH clauses run in no defined order).
 */
export async function runCommands(session: Session, commands: readonly SqlCommand[]): Promise<void> {
  for (const batch of batchCommands(commands)) await session.queryPrepared(preparedName(batch.text), batch.text, batch.values);
}

/** A name for a prepared statement, from its text (the same bookkeeping text is parsed once per session). */
export function preparedName(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `zdm_${(h >>> 0).toString(36)}_${text.length}`;
}

export function batchCommands(commands: readonly SqlCommand[]): { text: string; values: unknown[] }[] {
  const batches: SqlCommand[][] = [];
  let current: SqlCommand[] = [];
  for (const c of commands) {
    if (current.some((x) => x.table === c.table)) {
      batches.push(current);
      current = [];
    }
    current.push(c);
  }
  if (current.length > 0) batches.push(current);
  return batches.map((batch) => {
    if (batch.length === 1) return { text: batch[0].text, values: batch[0].values };
    const values: unknown[] = [];
    const parts = batch.map((c, i) => {
      const offset = values.length;
      values.push(...c.values);
      return `q${i} AS (${c.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
    });
    return { text: `WITH ${parts.join(', ')} SELECT 1`, values };
  });
}

/** Opens a session. Connection failures become a ConnectError naming the (masked) URL. */
export async function openSession(url: string, options: ConnectOptions = {}): Promise<Session> {
  let target: string;
  try {
    // The URL as libpq would read it, in the form `pg` reads the same way (url.ts pgConnectionString).
    target = pgConnectionString(url);
  } catch (error) {
    throw new ConnectError(`Cannot connect to ${describeUrl(url)}: ${(error as Error).message}`);
  }
  const parsed = parsePgUrl(url);
  const sslmode = 'error' in parsed ? undefined : parsed.params.get('sslmode');
  // libpq's connect_timeout in the URL, which node-postgres does not read (its connectionTimeoutMillis).
  const urlTimeout = options.connectTimeoutMs === undefined ? connectTimeoutOf(url) : undefined;
  if (urlTimeout !== undefined) options = { ...options, connectTimeoutMs: urlTimeout };
  let client: PgClient;
  try {
    // libpq's sslmode=allow tries without SSL first, then with it; prefer, with SSL first, then without
    // (node-postgres knows neither order: it makes one attempt).
    if (sslmode === 'allow') client = await connectClient(withQuery(target, new Map([['sslmode', 'disable']])), options).catch((error) => (dbErrorInfo(error)?.code === '28000' ? connectClient(withQuery(target, new Map([['sslmode', 'require']])), options) : Promise.reject(error)));
    else if (sslmode === 'prefer') client = await connectClient(target, options).catch((error) => (/does not support SSL/i.test((error as Error)?.message ?? '') ? connectClient(withQuery(target, new Map([['sslmode', 'disable']])), options) : Promise.reject(error)));
    else client = await connectClient(target, options);
  } catch (error) {
    throw new ConnectError(`Cannot connect to ${describeUrl(url)} (${maskUrl(url)}): ${connectReason(error, options.connectTimeoutMs ?? 10_000)}`);
  }
  const [info] = (await client.query("SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS version")).rows as { pid: number; version: number }[];
  let closed = false;
  let cancelRequested = false;
  return {
    backendPid: info.pid,
    serverVersion: Math.floor(info.version / 10000),
    displayUrl: maskUrl(url),
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = params === undefined ? await client.query(sql) : await client.query(sql, params as unknown[]);
      // A multi-statement string returns an array of results; callers of query() send one statement.
      return (Array.isArray(result) ? result[result.length - 1]?.rows ?? [] : result.rows) as T[];
    },
    async queryText(sql: string) {
      await client.query(sql);
    },
    async queryResults(sql: string) {
      const result = (await client.query(sql)) as unknown;
      return (Array.isArray(result) ? result : [result]) as { fields: { name: string }[]; rows: Record<string, unknown>[] }[];
    },
    async queryPrepared(name: string, sql: string, params: readonly unknown[]) {
      await client.query({ name, text: sql, values: params as unknown[] });
    },
    forgetPrepared() {
      // pg remembers which names it prepared on this connection; the server just dropped them.
      const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, unknown> } }).connection;
      if (connection?.parsedStatements) connection.parsedStatements = {};
    },
    cancel() {
      if (closed) return Promise.resolve();
      cancelRequested = true;
      return sendCancelRequest(client);
    },
    get cancelRequested() {
      return cancelRequested;
    },
    onNotice(listener) {
      const handler = (n: { severity?: string; message?: string }) => listener({ severity: n.severity, message: n.message ?? '' });
      client.on('notice', handler);
      return () => void client.off('notice', handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * Sends PostgreSQL's CancelRequest for `client`'s backend (its process id and secret key) to the
 * server it is connected to, over TCP or its unix socket, and waits until the server closes that
 * connection (it has then signalled the backend) or 5 s pass. Never rejects.
 */
function sendCancelRequest(client: PgClient): Promise<void> {
  const { host, port, processID, secretKey } = client as unknown as { host?: string; port?: number; processID?: number | null; secretKey?: number | null };
  if (typeof processID !== 'number' || typeof secretKey !== 'number' || !port) return Promise.resolve();
  return new Promise((resolve) => {
    const message = Buffer.alloc(16);
    message.writeInt32BE(16, 0);
    message.writeInt32BE(80877102, 4);
    message.writeInt32BE(processID, 8);
    message.writeInt32BE(secretKey, 12);
    const socket = host?.startsWith('/') ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host || 'localhost');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 5000);
    socket.once('connect', () => socket.write(message));
    socket.once('error', done);
    socket.once('close', done);
    socket.on('data', () => undefined);
  });
}

/** A connected `pg` client for a connection string; closed again when connecting fails. */
async function connectClient(connectionString: string, options: ConnectOptions): Promise<PgClient> {
  const { Client } = loadPg();
  const client: PgClient = new Client({
    connectionString,
    application_name: options.applicationName ?? 'zdm',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // A dropped connection emits 'error' on the client; without a listener Node would crash. The
  // failing query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** Runs `fn` with a fresh session, closed in `finally`. */
export async function withClient<T>(url: string, fn: (session: Session) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const session = await openSession(url, options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** Runs `fn` inside BEGIN ... COMMIT; any error rolls back and is rethrown. */
export async function withTransaction<T>(session: Session, fn: () => Promise<T>): Promise<T> {
  await session.queryText('BEGIN');
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await session.queryText('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await session.queryText('COMMIT');
  return result;
}

export interface AdvisoryLockOptions {
  /** false: fail at once when another session holds the lock; true: wait; a number: wait that many ms. */
  wait: boolean | number;
}

export class LockBusyError extends Error {}

/**
 * Holds a session-level advisory lock on `session` while `fn` runs, released in `finally` (and by
 * the server if the process dies, since the lock belongs to the connection).
 */
export async function withAdvisoryLock<T>(session: Session, key: readonly [number, number], options: AdvisoryLockOptions, fn: () => Promise<T>): Promise<T> {
  const [k1, k2] = key;
  if (options.wait === false) {
    const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS locked', [k1, k2]);
    if (!row.locked) throw new LockBusyError(await describeLockHolder(session, key));
  } else {
    const waitMs = options.wait === true ? 0 : Math.max(1, Math.round(options.wait));
    try {
      await withTransaction(session, async () => {
        await session.query("SELECT set_config('lock_timeout', $1, true)", [`${waitMs}ms`]);
        await session.query('SELECT pg_advisory_lock($1::int, $2::int)', [k1, k2]);
      });
    } catch (error) {
      if (dbErrorInfo(error)?.code === '55P03') throw new LockBusyError(`${await describeLockHolder(session, key)} (waited ${waitMs} ms)`);
      throw error;
    }
  }
  try {
    return await fn();
  } finally {
    await session.query('SELECT pg_advisory_unlock($1::int, $2::int)', [k1, k2]).catch(() => undefined);
  }
}

async function describeLockHolder(session: Session, [k1, k2]: readonly [number, number]): Promise<string> {
  const rows = await session
    .query<{ pid: number; application_name: string; backend_start: Date | null; client_addr: string | null }>(
      `SELECT l.pid, a.application_name, a.backend_start, a.client_addr::text AS client_addr
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2`,
      [k1, k2],
    )
    .catch(() => []);
  const holder = rows[0];
  const who = holder
    ? `process ${holder.pid}${holder.application_name ? ` (${holder.application_name})` : ''}${holder.client_addr ? ` from ${holder.client_addr}` : ''}${holder.backend_start ? `, connected since ${holder.backend_start.toISOString()}` : ''}`
    : 'another session';
  return `Another migration runner holds the migration lock on this database: ${who}. Wait for it to finish (or use --wait).`;
}

/** Sets lock_timeout and statement_timeout for the session (values from .zdm.json). */
export async function applySessionTimeouts(session: Session, timeouts: { lockTimeout?: string; statementTimeout?: string; searchPath?: string }): Promise<void> {
  if (timeouts.lockTimeout !== undefined) await session.query("SELECT set_config('lock_timeout', $1, false)", [postgresDuration(timeouts.lockTimeout)]);
  if (timeouts.statementTimeout !== undefined) await session.query("SELECT set_config('statement_timeout', $1, false)", [postgresDuration(timeouts.statementTimeout)]);
  // The search_path the tool migrates with (Flyway's managed schema first), set again after a migration's RESET ALL.
  if (timeouts.searchPath !== undefined) await session.query("SELECT set_config('search_path', $1, false)", [timeouts.searchPath]);
}

/** .zdm.json durations ("5s", "500ms", "1min", "0") in the form PostgreSQL accepts. */
export function postgresDuration(value: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/i.exec(value);
  if (!m) return value;
  return `${m[1]}${(m[2] ?? 'ms').toLowerCase()}`;
}

/** Quotes an identifier for SQL text (for names that cannot be parameters). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a possibly schema-qualified name: `audit.schema_migrations` -> "audit"."schema_migrations". */
export function quoteQualified(name: string): string {
  return splitQualified(name).map(quoteIdent).join('.');
}

/** Splits `schema.table` (with "quoted" parts allowed) into its parts. */
export function splitQualified(name: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === '"') {
      let j = i + 1;
      let part = '';
      while (j < name.length) {
        if (name[j] === '"' && name[j + 1] === '"') {
          part += '"';
          j += 2;
        } else if (name[j] === '"') break;
        else part += name[j++];
      }
      parts.push(part);
      i = j + 1;
    } else {
      const dot = name.indexOf('.', i);
      const end = dot === -1 ? name.length : dot;
      parts.push(name.slice(i, end).trim());
      i = end;
    }
    if (name[i] === '.') i++;
  }
  return parts.filter((p) => p.length > 0);
}

/** PostgreSQL's fields of an error thrown by a query, or undefined for other errors. */
export function dbErrorInfo(error: unknown): DbErrorInfo | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { message?: string; code?: string; severity?: string; position?: string; detail?: string; hint?: string; where?: string };
  if (typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return undefined;
  const info: DbErrorInfo = { message: e.message ?? String(error), code: e.code };
  if (e.severity) info.severity = e.severity;
  if (e.position !== undefined && /^\d+$/.test(String(e.position))) info.position = Number(e.position);
  if (e.detail) info.detail = e.detail;
  if (e.hint) info.hint = e.hint;
  if (e.where) info.where = e.where;
  return info;
}

/**
 * Why PostgreSQL cancelled a statement (SQLSTATE 57014, which a cancel on request and statement_timeout
 * share), or undefined for any other error. `requested`: the session sent the cancel itself
 * (Session.cancelRequested: Ctrl-C, the editor's Cancel), which decides it in any language. Otherwise
 * only the message tells, and only in English ("due to user request": pg_cancel_backend from another
 * session): under a translated lc_messages such a cancel reads as a timeout. The statement_timeout in
 * force cannot settle it either: a SET in the failed statement's transaction was rolled back with it.
 */
export function cancelCause(error: unknown, requested: boolean): 'request' | 'timeout' | undefined {
  const e = error as { code?: string; message?: unknown } | undefined;
  if (e?.code !== '57014') return undefined;
  if (requested) return 'request';
  return typeof e.message === 'string' && /user request/i.test(e.message) ? 'request' : 'timeout';
}

/** True when the error is PostgreSQL cancelling a statement on request (Session.cancel, pg_cancel_backend), not a statement_timeout. */
export function isCancelled(error: unknown, session: Pick<Session, 'cancelRequested'>): boolean {
  return cancelCause(error, session.cancelRequested) === 'request';
}

/** True when the error means the connection is gone (the server or the network went away). */
export function isConnectionLost(error: unknown): boolean {
  // An Error from pg, or a RunError made of one (a plain object with its message and code).
  const given = (error as { message?: unknown } | undefined)?.message;
  const message = typeof given === 'string' ? given : String(error);
  const code = (error as { code?: string } | undefined)?.code;
  return /Connection terminated|ECONNRESET|EPIPE|not queryable/i.test(message) || code === '57P01' || code === '57P02' || code === '57P03';
}

function connectReason(error: unknown, timeoutMs: number): string {
  const e = error as { code?: string; message?: string; address?: string };
  if (e?.code === 'ECONNREFUSED') return 'connection refused (is the server running, and on that port?)';
  // A unix socket that is not there fails at once, as a refused connection does; only a host that
  // answers nothing (packets dropped, a server that never replies) waits for the timeout.
  if (e?.code === 'ENOENT' && e.address) return `no server socket at ${e.address} (is the server running, with that socket directory and port?)`;
  if (/^timeout expired$|connection timeout/i.test(e?.message ?? '')) return `no answer within ${timeoutMs / 1000} s (a host that drops packets, or a server too busy to answer)`;
  if (e?.code === 'ENOTFOUND') return 'unknown host';
  if (e?.code === '28P01') return 'password authentication failed';
  if (e?.code === '3D000') return e.message ?? 'the database does not exist';
  return e?.message ?? String(error);
}
