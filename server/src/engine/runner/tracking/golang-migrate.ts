// golang-migrate: `schema_migrations (version bigint primary key, dirty boolean)` holding one row, the
// current version. Every migration at or below it counts as applied. golang-migrate sets dirty=true
// before running a migration and false after; a dirty database makes it refuse to run until fixed.

import { quoteQualified, type SqlCommand } from '../db';
import type { Migration } from '../migrations';
import { compareVersions } from '../../versions';
import { checkShape, tableColumns, type Tracker } from './types';

export function golangMigrateTracker(tableName = 'schema_migrations'): Tracker {
  const table = quoteQualified(tableName);
  // golang-migrate's SetVersion: empty the table, then insert the version (none: the table stays empty).
  const setVersion = (version: string | undefined, dirty: boolean): SqlCommand[] => [
    { table, text: `DELETE FROM ${table}`, values: [] },
    ...(version !== undefined ? [{ table, text: `INSERT INTO ${table} (version, dirty) VALUES ($1::bigint, $2)`, values: [version, dirty] }] : []),
  ];
  return {
    tool: 'golang-migrate',
    table,
    async ensure(session) {
      checkShape(table, 'golang-migrate', await tableColumns(session, table), ['version', 'dirty']);
      await session.query(`CREATE TABLE IF NOT EXISTS ${table} (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`);
    },
    async read(session, migrations: readonly Migration[]) {
      const columns = await tableColumns(session, table);
      if (columns.length === 0) return { applied: new Map(), exists: false };
      checkShape(table, 'golang-migrate', columns, ['version', 'dirty']);
      const rows = await session.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${table} LIMIT 1`);
      const current = rows[0];
      const applied = new Map<string, { appliedAt?: Date }>();
      if (!current) return { applied, exists: true };
      for (const m of migrations) if (compareVersions(m.key, current.version) <= 0 && !(current.dirty && m.key === current.version)) applied.set(m.key, {});
      // The current version counts as applied even when its file is gone (status shows it missing).
      if (!current.dirty) applied.set(current.version, {});
      return { applied, exists: true, dirty: current.dirty ? current.version : undefined };
    },
    recordUp(migration) {
      return setVersion(migration.key, false);
    },
    recordDown(_migration, previous) {
      return setVersion(previous?.key, false);
    },
    markStarted(migration) {
      return setVersion(migration.key, true);
    },
  };
}
