// dbmate: `schema_migrations (version varchar(128) primary key)`; a row per applied migration,
// inserted after up, deleted after down (dbmate's own statements).

import { quoteQualified } from '../db';
import { checkShape, tableColumns, type Tracker } from './types';

export function dbmateTracker(tableName = 'schema_migrations'): Tracker {
  const table = quoteQualified(tableName);
  return {
    tool: 'dbmate',
    table,
    async ensure(session) {
      // golang-migrate's table has the same name; its `dirty` column gives it away.
      checkShape(table, 'dbmate', await tableColumns(session, table), ['version'], ['dirty']);
      await session.query(`CREATE TABLE IF NOT EXISTS ${table} (version varchar(128) PRIMARY KEY)`);
    },
    async read(session) {
      const columns = await tableColumns(session, table);
      if (columns.length === 0) return { applied: new Map(), exists: false };
      checkShape(table, 'dbmate', columns, ['version'], ['dirty']);
      const rows = await session.query<{ version: string }>(`SELECT version FROM ${table}`);
      return { applied: new Map(rows.map((r) => [r.version, {}])), exists: true };
    },
    recordUp(migration) {
      return [{ table, text: `INSERT INTO ${table} (version) VALUES ($1)`, values: [migration.key] }];
    },
    recordDown(migration) {
      return [{ table, text: `DELETE FROM ${table} WHERE version = $1`, values: [migration.key] }];
    },
  };
}
