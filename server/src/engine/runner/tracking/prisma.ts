// Prisma Migrate: `_prisma_migrations`, one row per migration folder, keyed by the folder name, with a
// SHA-256 checksum of migration.sql. Prisma has no down migrations.
//
// A migration that fails keeps its row, unfinished: Prisma writes the row before it sends the script
// (outside the script's transaction) and on failure sets `logs` to the error, leaving `finished_at` and
// `rolled_back_at` empty (schema-engine apply_migrations: record_migration_started, record_failed_step).
// Every later `prisma migrate deploy` stops at such a row (P3009) until `prisma migrate resolve` marks it
// rolled back (`--rolled-back`: the next deploy runs it again) or the migration applied (`--applied`:
// the row is marked rolled back and a finished one written).

import { createHash, randomUUID } from 'node:crypto';
import { quoteQualified } from '../db';
import type { RunError } from '../events';
import type { Migration } from '../migrations';
import { checkShape, tableColumns, type Tracker } from './types';

const COLUMNS = ['id', 'checksum', 'finished_at', 'migration_name', 'logs', 'rolled_back_at', 'started_at', 'applied_steps_count'];

export function prismaTracker(tableName = '_prisma_migrations'): Tracker {
  const table = quoteQualified(tableName);
  const checksum = (migration: Migration) => createHash('sha256').update(migration.up.fileText).digest('hex');
  /**
   * Marks the migration's unfinished rows rolled back, as `prisma migrate resolve --applied` does before
   * it writes the finished row (mark_migration_applied): left as they are, they would stop every deploy.
   * Its `table` is a name of its own so that it travels in one statement with the insert (sibling WITH
   * clauses): they touch different rows.
   */
  const resolveFailed = (migration: Migration) => ({
    table: `${table} (unfinished rows)`,
    text: `UPDATE ${table} SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`,
    values: [migration.key],
  });
  const failedRow = (migration: Migration, error: RunError) => [
    // One unfinished row per migration: a resumed run that fails again replaces the one of its last attempt.
    { table: `${table} (unfinished rows)`, text: `DELETE FROM ${table} WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`, values: [migration.key] },
    {
      table,
      text: `INSERT INTO ${table} (id, checksum, migration_name, logs, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, now(), 0)`,
      values: [randomUUID(), checksum(migration), migration.key, failureLogs(migration, error)],
    },
  ];
  return {
    tool: 'Prisma Migrate',
    table,
    async ensure(session) {
      const columns = await tableColumns(session, table);
      checkShape(table, 'Prisma Migrate', columns, COLUMNS);
      if (columns.length > 0) return;
      await session.query(
        `CREATE TABLE ${table} (id varchar(36) NOT NULL PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0)`,
      );
    },
    async read(session) {
      if ((await tableColumns(session, table)).length === 0) return { applied: new Map(), exists: false };
      const rows = await session.query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null; started_at: Date; logs: string | null }>(
        `SELECT migration_name, finished_at, rolled_back_at, started_at, logs FROM ${table} ORDER BY started_at`,
      );
      const applied = new Map<string, { appliedAt?: Date }>();
      const failed = new Map<string, { note: string; refusal: string; besideZdm: string }>();
      for (const r of rows) {
        if (r.rolled_back_at !== null) continue;
        if (r.finished_at !== null) applied.set(r.migration_name, { appliedAt: r.finished_at });
        else failed.set(r.migration_name, unfinished(r, tableName));
      }
      for (const name of applied.keys()) failed.delete(name);
      return { applied, exists: true, ...(failed.size > 0 ? { failed } : {}) };
    },
    recordUp(migration) {
      return [
        resolveFailed(migration),
        {
          table,
          text: `INSERT INTO ${table} (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
          values: [randomUUID(), checksum(migration), migration.key],
        },
      ];
    },
    recordLogged(migration) {
      // As `prisma migrate resolve --applied` records it (schema-engine's mark_migration_applied_impl):
      // started_at and finished_at the same time, logs '', applied_steps_count left at 0.
      return [
        resolveFailed(migration),
        {
          table,
          text: `INSERT INTO ${table} (id, checksum, logs, started_at, finished_at, migration_name) VALUES ($1, $2, '', now(), now(), $3)`,
          values: [randomUUID(), checksum(migration), migration.key],
        },
      ];
    },
    recordFailed: failedRow,
    recordFailedTransaction: failedRow,
    recordDown(migration) {
      return [{ table, text: `UPDATE ${table} SET rolled_back_at = now() WHERE migration_name = $1 AND rolled_back_at IS NULL`, values: [migration.key] }];
    },
  };
}

/** What zdm writes in `logs` of a failed migration's row: what Prisma's P3009 shows under "with the following logs". */
function failureLogs(migration: Migration, error: RunError): string {
  const where = error.statement !== undefined ? ` at statement ${error.statement}${error.line !== undefined ? ` (line ${error.line})` : ''}` : '';
  return `Migration ${migration.key} failed to apply (zdm up)${where}.${error.code ? ` Database error code: ${error.code}.` : ''}\n\n${error.message}`;
}

/** What status and `up` say of a migration whose row Prisma left unfinished (P3009). */
function unfinished(r: { migration_name: string; started_at: Date; logs: string | null }, tableName: string): { note: string; refusal: string; besideZdm: string } {
  const started = r.started_at.toISOString();
  const text = (r.logs ?? '').split('\n').map((line) => line.trim()).filter(Boolean).join(' ');
  const logs = text ? `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}` : ' (no logs: the process that ran it may have been killed)';
  const name = r.migration_name;
  return {
    note: `Prisma Migrate recorded it as failed (its row in ${tableName}, started at ${started}, is neither finished nor rolled back)${logs}`,
    refusal:
      `${name}: Prisma Migrate recorded it as failed (started at ${started}, neither finished nor rolled back in ${tableName})${logs}. ` +
      `prisma migrate deploy refuses to apply anything while such a row is there (P3009: "migrate found failed migrations in the target database, new migrations will not be applied"), and so does zdm: nothing was run. ` +
      `If it ran in part, undo by hand what it did, then run \`npx prisma migrate resolve --rolled-back ${name}\` (the next zdm up runs it again); ` +
      `if what it does is in the database already, \`npx prisma migrate resolve --applied ${name}\` records it as applied.`,
    besideZdm: ` (Prisma's ${tableName} records it as failed too, a row neither finished nor rolled back, as Prisma leaves one: \`prisma migrate deploy\` refuses until \`prisma migrate resolve\`; zdm up resumes it, and marks that row rolled back once it completes)`,
  };
}
