// zdm's own table, `zdm_migrations`, beside the tool's: the checksum of each applied migration (and of
// each of its statements), when it was applied, how long it took, its format and file, and for a
// migration that could not run in one transaction, how far it got and which statement failed.
// For plain SQL migrations (no tool of their own) it is the tracking table itself.

import { quoteIdent, quoteQualified, splitQualified, type Session, type SqlCommand } from '../db';
import { downStatementHashes, type Migration } from '../migrations';
import { tableColumns, type Tracker } from './types';

export interface ZdmRow {
  version: string;
  file: string;
  format: string;
  checksum: string;
  /**
   * The short hash of each statement of the section the row is about: the up's, and while a rollback
   * sent statement by statement runs or after it failed part way (direction 'down'), the down's, which
   * a resumed rollback compares with the file.
   */
  statements: string[];
  /** 'applied', 'running' (statements being sent one at a time) or 'failed'. */
  state: 'applied' | 'running' | 'failed';
  direction: 'up' | 'down';
  applied_at: Date;
  duration_ms: number | null;
  statements_total: number;
  statements_done: number;
  failed_statement: number | null;
  error: string | null;
}

export const ZDM_TABLE_NAME = 'zdm_migrations';

export interface ZdmTable {
  table: string;
  ensure(session: Session): Promise<void>;
  read(session: Session): Promise<Map<string, ZdmRow>>;
  /** Applied: written in the migration's own transaction when it has one. */
  recordApplied(migration: Migration, durationMs: number): SqlCommand;
  recordRemoved(migration: Migration): SqlCommand;
  /** Before statements sent one at a time: the record of how far a migration got. */
  recordRunning(migration: Migration, direction: 'up' | 'down', total: number): SqlCommand;
  recordProgress(migration: Migration, done: number): SqlCommand;
  /**
   * A section resumed after `done` committed statements: running again, with the statements as they are
   * now (the committed ones are unchanged, or the run was refused), so the record holds the text each
   * statement ran with, and a later resume compares against that.
   */
  recordResumed(migration: Migration, direction: 'up' | 'down', done: number, total: number): SqlCommand;
  /** `statementNumber`: the statement that failed (1-based); null when all ran and recording them failed. */
  recordFailed(migration: Migration, direction: 'up' | 'down', statementNumber: number | null, error: string): SqlCommand;
}

/** zdm_migrations in the schema of the tool's table (`audit.schema_migrations` -> `audit.zdm_migrations`). */
export function zdmTable(toolTableName: string | undefined): ZdmTable {
  const parts = toolTableName ? splitQualified(toolTableName) : [];
  const table = parts.length > 1 ? `${quoteIdent(parts[0])}.${quoteIdent(ZDM_TABLE_NAME)}` : quoteQualified(ZDM_TABLE_NAME);
  const command = (text: string, values: unknown[]): SqlCommand => ({ table, text, values });
  return {
    table,
    async ensure(session) {
      await session.query(
        `CREATE TABLE IF NOT EXISTS ${table} (
           version text PRIMARY KEY,
           file text NOT NULL,
           format text NOT NULL,
           checksum text NOT NULL,
           statements text[] NOT NULL DEFAULT '{}',
           state text NOT NULL DEFAULT 'applied',
           direction text NOT NULL DEFAULT 'up',
           applied_at timestamptz NOT NULL DEFAULT now(),
           duration_ms integer,
           statements_total integer NOT NULL DEFAULT 0,
           statements_done integer NOT NULL DEFAULT 0,
           failed_statement integer,
           error text)`,
      );
    },
    async read(session) {
      if ((await tableColumns(session, table)).length === 0) return new Map();
      const rows = await session.query<ZdmRow>(`SELECT * FROM ${table}`);
      return new Map(rows.map((r) => [r.version, r]));
    },
    recordApplied(m, durationMs) {
      return command(
        `INSERT INTO ${table} (version, file, format, checksum, statements, state, direction, applied_at, duration_ms, statements_total, statements_done, failed_statement, error)
         VALUES ($1, $2, $3, $4, $5, 'applied', 'up', now(), $6, $7, $7, NULL, NULL)
         ON CONFLICT (version) DO UPDATE SET file = EXCLUDED.file, format = EXCLUDED.format, checksum = EXCLUDED.checksum, statements = EXCLUDED.statements,
           state = 'applied', direction = 'up', applied_at = now(), duration_ms = EXCLUDED.duration_ms, statements_total = EXCLUDED.statements_total,
           statements_done = EXCLUDED.statements_done, failed_statement = NULL, error = NULL`,
        [m.key, m.name, m.format, m.checksum, m.statementHashes, Math.round(durationMs), m.up.statements.length],
      );
    },
    recordRemoved(m) {
      return command(`DELETE FROM ${table} WHERE version = $1`, [m.key]);
    },
    recordRunning(m, direction, total) {
      return command(
        `INSERT INTO ${table} (version, file, format, checksum, statements, state, direction, statements_total, statements_done)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, 0)
         ON CONFLICT (version) DO UPDATE SET state = 'running', direction = EXCLUDED.direction, statements_total = EXCLUDED.statements_total,
           statements_done = 0, failed_statement = NULL, error = NULL,
           checksum = CASE WHEN EXCLUDED.direction = 'up' THEN EXCLUDED.checksum ELSE ${table}.checksum END,
           statements = EXCLUDED.statements`,
        [m.key, m.name, m.format, m.checksum, direction === 'up' ? m.statementHashes : downStatementHashes(m), direction, total],
      );
    },
    recordProgress(m, done) {
      return command(`UPDATE ${table} SET statements_done = $2 WHERE version = $1`, [m.key, done]);
    },
    recordResumed(m, direction, done, total) {
      if (direction === 'down') return command(`UPDATE ${table} SET state = 'running', direction = 'down', statements_done = $2, statements_total = $3, failed_statement = NULL, error = NULL, statements = $4 WHERE version = $1`, [m.key, done, total, downStatementHashes(m)]);
      return command(
        `UPDATE ${table} SET state = 'running', direction = 'up', statements_done = $2, statements_total = $3, failed_statement = NULL, error = NULL, checksum = $4, statements = $5 WHERE version = $1`,
        [m.key, done, total, m.checksum, m.statementHashes],
      );
    },
    recordFailed(m, direction, statementNumber, error) {
      return command(`UPDATE ${table} SET state = 'failed', direction = $2, failed_statement = $3, error = $4 WHERE version = $1`, [m.key, direction, statementNumber, error]);
    },
  };
}

/** For plain SQL migrations: zdm_migrations is the tracking table (rows in state 'applied'). */
export function zdmOnlyTracker(zdm: ZdmTable): Tracker {
  return {
    tool: 'zdm',
    table: zdm.table,
    async ensure() {
      // zdm.ensure() creates it.
    },
    async read(session) {
      const rows = await zdm.read(session);
      const applied = new Map<string, { appliedAt?: Date }>();
      for (const r of rows.values()) if (r.state === 'applied' || r.direction === 'down') applied.set(r.version, { appliedAt: r.applied_at });
      return { applied, exists: rows.size > 0 };
    },
    recordUp() {
      return []; // the zdm row written beside it is the record
    },
    recordDown() {
      return []; // removing the zdm row is the record
    },
  };
}
