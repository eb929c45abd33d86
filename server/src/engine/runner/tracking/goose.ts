// goose: `goose_db_version (id serial, version_id bigint, is_applied boolean, tstamp timestamp)`,
// created with a version 0 row. Up inserts (version, true); down deletes the version's rows (goose v3).
// The latest row of a version decides, so tables written by older goose (is_applied=false rows) read
// the same way. goose rolls back in the order it applied, not by version: its `down` takes the
// migration of the newest row (`ListMigrations` reads `ORDER BY id DESC`; the Provider's DownTo:
// "migrations are rolled back in the order they were applied. And not in the reverse order of the
// migration version"), which differs once `up -allow-missing` applied an older one last. So each
// applied version carries its row's id (`order`), which planRollback follows.

import { quoteQualified } from '../db';
import { checkShape, tableColumns, type Tracker } from './types';

export function gooseTracker(tableName = 'goose_db_version'): Tracker {
  const table = quoteQualified(tableName);
  const required = ['id', 'version_id', 'is_applied', 'tstamp'];
  return {
    tool: 'goose',
    table,
    async ensure(session) {
      const columns = await tableColumns(session, table);
      checkShape(table, 'goose', columns, required);
      if (columns.length > 0) return;
      await session.query(`CREATE TABLE ${table} (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id))`);
      await session.query(`INSERT INTO ${table} (version_id, is_applied) VALUES (0, true)`);
    },
    async read(session) {
      if ((await tableColumns(session, table)).length === 0) return { applied: new Map(), exists: false };
      const rows = await session.query<{ id: number; version_id: string; is_applied: boolean; tstamp: Date | null }>(`SELECT id::int AS id, version_id::text AS version_id, is_applied, tstamp FROM ${table} ORDER BY id DESC`);
      const seen = new Set<string>();
      const applied = new Map<string, { appliedAt?: Date; order: number }>();
      for (const r of rows) {
        if (r.version_id === '0' || seen.has(r.version_id)) continue;
        seen.add(r.version_id);
        if (r.is_applied) applied.set(r.version_id, r.tstamp ? { appliedAt: r.tstamp, order: r.id } : { order: r.id });
      }
      return { applied, exists: true };
    },
    recordUp(migration) {
      return [{ table, text: `INSERT INTO ${table} (version_id, is_applied) VALUES ($1::bigint, true)`, values: [migration.key] }];
    },
    recordDown(migration) {
      return [{ table, text: `DELETE FROM ${table} WHERE version_id = $1::bigint`, values: [migration.key] }];
    },
  };
}
