// Flyway: `flyway_schema_history`, one row per run, in installed_rank order. A versioned script is
// applied when its latest row is a successful SQL row; Flyway Teams' undo adds an UNDO_SQL row.
// The checksum column holds Flyway's own checksum (CRC32 of the script's lines), so `flyway validate`
// accepts scripts zdm applied.

import * as path from 'node:path';
import { quoteIdent, quoteQualified, splitQualified, type Session, type SqlCommand } from '../db';
import { compareVersions } from '../../versions';
import { flywayChecksum, flywayDescription } from '../flyway-script';
import type { Migration } from '../migrations';
import { checkShape, tableColumns, type ToolState, type Tracker } from './types';

const COLUMNS = ['installed_rank', 'version', 'description', 'type', 'script', 'checksum', 'installed_by', 'installed_on', 'execution_time', 'success'];

export function flywayTracker(tableName = 'flyway_schema_history'): Tracker {
  const table = quoteQualified(tableName);
  const insert = (values: { version: string | null; description: string; type: string; script: string; checksum: number; ms: number }, success = true): SqlCommand[] => [
    {
      table,
      text: `INSERT INTO ${table} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, $3, $4, $5, current_user, $6, $7 FROM ${table}`,
      values: [values.version, values.description, values.type, values.script, values.checksum, Math.round(values.ms), success],
    },
  ];
  /**
   * Deletes the failed rows (success = false) of a migration: those zdm wrote when it failed part way,
   * as Flyway writes them, once it completes the migration (resuming where it failed) or fails it again;
   * `flyway repair` deletes them the same way before a migration is run again. Its `table` is a name of
   * its own so that it travels in one statement with the insert (sibling WITH clauses): they touch
   * different rows, the insert numbering after every row the DELETE sees.
   */
  const dropFailed = (migration: Migration): SqlCommand => ({
    table: `${table} (failed rows)`,
    text: migration.repeatable ? `DELETE FROM ${table} WHERE NOT success AND version IS NULL AND script = $1` : `DELETE FROM ${table} WHERE NOT success AND version = $1 AND type = 'SQL'`,
    values: [migration.repeatable ? path.basename(migration.upPath) : migration.key],
  });
  const upRow = (migration: Migration, durationMs: number) =>
    migration.repeatable
      ? // As Flyway records a repeatable script: no version, and the checksum of the script with its placeholders replaced.
        { version: null, description: flywayDescription(migration.description), type: 'SQL', script: path.basename(migration.upPath), checksum: migration.repeatable.checksum ?? flywayChecksum(migration.up.fileText), ms: durationMs }
      : { version: migration.key, description: flywayDescription(migration.description), type: 'SQL', script: path.basename(migration.upPath), checksum: flywayChecksum(migration.up.fileText), ms: durationMs };
  return {
    tool: 'Flyway',
    table,
    async ensure(session) {
      const columns = await tableColumns(session, table);
      checkShape(table, 'Flyway', columns, COLUMNS);
      if (columns.length > 0) return;
      await session.query(
        `CREATE TABLE ${table} (installed_rank integer NOT NULL, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL, CONSTRAINT ${quoteIdent(`${splitQualified(tableName).pop()}_pk`)} PRIMARY KEY (installed_rank))`,
      );
    },
    async read(session) {
      if ((await tableColumns(session, table)).length === 0) return { applied: new Map(), exists: false };
      const rows = await session.query<{ installed_rank: number; version: string | null; description: string; type: string; script: string; checksum: number | null; success: boolean; installed_on: Date }>(
        `SELECT installed_rank, version, description, type, script, checksum, success, installed_on FROM ${table} ORDER BY installed_rank`,
      );
      const applied = new Map<string, { appliedAt?: Date; checksum?: string; description?: string }>();
      const repeatables = new Map<string, { checksum: number | null; description: string; appliedAt?: Date }>();
      // A row with success = false is what Flyway writes when a migration it could not run in a
      // transaction fails (on PostgreSQL, executeInTransaction=false or a statement such as CREATE INDEX
      // CONCURRENTLY): it may have run in part. Such a migration is not applied, and Flyway's validation
      // refuses every migrate until `flyway repair` removes the row ("Detected failed migration to
      // version 2 (b). Please remove any half-completed changes then run repair to fix the schema
      // history."; for a repeatable script, "Detected failed repeatable migration"). The latest row of
      // a migration decides: a successful run after a repair clears it.
      const failed = new Map<string, { note: string; refusal: string }>();
      let baseline: ToolState['baseline'];
      for (const r of rows) {
        const key = r.version ?? path.basename(r.script);
        if (!r.success) {
          if (r.version === null) repeatables.delete(key);
          else applied.delete(key);
          failed.set(key, failedRow(r, tableName));
          continue;
        }
        failed.delete(key);
        if (r.version === null) {
          // A repeatable script's run (Flyway records them without a version; the latest one counts).
          if (r.type === 'SQL') repeatables.set(key, { checksum: r.checksum, description: r.description, appliedAt: r.installed_on });
          else if (r.type === 'DELETE') repeatables.delete(key);
          continue;
        }
        if (r.type === 'UNDO_SQL' || r.type === 'DELETE') applied.delete(r.version);
        // The baseline is not a migration: what is at or below it is "Below Baseline" (plan.ts computeStatus).
        else if (r.type === 'BASELINE') baseline = { version: r.version, description: r.description, installedRank: r.installed_rank, appliedAt: r.installed_on };
        // Its checksum and description as recorded: Flyway's validation compares them with the file (plan.ts flywayValidation).
        else applied.set(r.version, { appliedAt: r.installed_on, checksum: String(r.checksum), description: r.description });
      }
      return { applied, repeatables, exists: true, ...(failed.size > 0 ? { failed } : {}), ...(baseline ? { baseline } : {}) };
    },
    recordUp(migration, durationMs) {
      return [dropFailed(migration), ...insert(upRow(migration, durationMs))];
    },
    recordFailed(migration) {
      // Flyway's DbMigrate, when a migration it ran outside a transaction fails (executeInTransaction=false,
      // CREATE INDEX CONCURRENTLY): "Please restore backups and roll back database and code!", and a row
      // with success = false, so `flyway migrate` refuses ("Detected failed migration") instead of running
      // the script again from its first statement over what it committed.
      return [dropFailed(migration), ...insert(upRow(migration, 0), false)];
    },
    recordDown(migration) {
      const down = migration.down!;
      return insert({ version: migration.key, description: flywayDescription(migration.description), type: 'UNDO_SQL', script: path.basename(down.path), checksum: flywayChecksum(down.fileText), ms: 0 });
    },
  };
}

/** Flyway's defaults for `flyway baseline` (baselineVersion, baselineDescription). */
export const FLYWAY_BASELINE_DEFAULTS = { version: '1', description: '<< Flyway Baseline >>' } as const;

/**
 * A version as Flyway's MigrationVersion takes it (digits, parts separated by `.` or `_`) and stores it
 * (`_` written as `.`); undefined when Flyway would refuse it.
 */
export function flywayVersion(text: string): string | undefined {
  const version = text.trim().replace(/_/g, '.');
  return /^\d+(\.\d+)*$/.test(version) ? version : undefined;
}

/**
 * What `flyway baseline` (DbBaseline) does with the history table `table` (as written in SQL, schema
 * and name quoted, as Flyway names it in its messages): `write` the BASELINE row; `skip` when the
 * table holds that very baseline already; `refusal` (Flyway's words) when it holds another baseline,
 * a migration (any row but the synthetic SCHEMA, BASELINE and DELETE ones), nothing at all (it exists
 * and is empty), or baseline version 0 beside the schema creation marker. `existed`: whether the
 * table was there before this command created it.
 */
export async function flywayBaselineCheck(session: Session, table: string, existed: boolean, version: string, description: string): Promise<{ write: true } | { skip: string } | { refusal: string }> {
  if (!existed) return { write: true };
  const rows = await session.query<{ version: string | null; description: string; type: string }>(`SELECT version, description, type FROM ${table} ORDER BY installed_rank`);
  const marker = rows.find((r) => r.type === 'BASELINE');
  if (marker) {
    if (marker.version !== null && compareVersions(marker.version, version) === 0 && marker.description === description) {
      return { skip: `Schema history table ${table} already initialized with (${version},${description}). Skipping.` };
    }
    return { refusal: `Unable to baseline schema history table ${table} with (${version},${description}) as it has already been baselined with (${marker.version},${marker.description})` };
  }
  if (rows.some((r) => r.type === 'SCHEMA') && compareVersions(version, '0') === 0) {
    return { refusal: `Unable to baseline schema history table ${table} with version 0 as this version was used for schema creation` };
  }
  if (rows.some((r) => !['SCHEMA', 'BASELINE', 'DELETE'].includes(r.type))) return { refusal: `Unable to baseline schema history table ${table} as it already contains migrations` };
  if (rows.length === 0) return { refusal: `Unable to baseline schema history table ${table} as it already exists, and is empty.\nDelete the schema history table with the clean command, and run baseline again. (zdm has no clean, and flyway clean drops everything in the schema: DROP TABLE ${table} drops the empty history table alone.)` };
  return { write: true };
}

/** The row `flyway baseline` writes: type BASELINE, the description as its script too, no checksum, next installed_rank (1 in a new table). */
export function flywayBaselineRow(table: string, version: string, description: string): SqlCommand {
  return {
    table,
    text: `INSERT INTO ${table} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, 'BASELINE', $2, NULL, current_user, 0, true FROM ${table}`,
    values: [version, description],
  };
}

/** What status and a refused `up` say about a row Flyway recorded with success = false. */
function failedRow(r: { installed_rank: number; version: string | null; description: string; type: string; script: string }, tableName: string): { note: string; refusal: string } {
  const what = r.type === 'UNDO_SQL' ? 'its undo' : 'it';
  const note = `Flyway recorded ${what} as failed (success = false, installed_rank ${r.installed_rank} of ${tableName}): it may have run only partly; Flyway refuses to migrate until the row is repaired`;
  const flyway = r.version === null ? `Detected failed repeatable migration: ${r.description}` : `Detected failed migration to version ${r.version} (${r.description})`;
  return {
    note,
    refusal: `${path.basename(r.script)}: Flyway recorded ${what} as failed (success = false in ${tableName}, installed_rank ${r.installed_rank}), so it may have run only partly. Flyway refuses to migrate until that row is repaired ("${flyway}. Please remove any half-completed changes then run repair to fix the schema history."), and so does zdm: nothing was run. Undo by hand what it committed, then run \`flyway repair\` (or delete that row), then zdm up.`,
  };
}
