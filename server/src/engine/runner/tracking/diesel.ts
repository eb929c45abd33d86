// diesel: `__diesel_schema_migrations (version varchar(50) primary key, run_on timestamp)`, the
// version being the folder name up to its first '_' without dashes.

import { quoteQualified } from '../db';
import { checkShape, tableColumns, type Tracker } from './types';

export function dieselTracker(tableName = '__diesel_schema_migrations'): Tracker {
  const table = quoteQualified(tableName);
  return {
    tool: 'diesel',
    table,
    async ensure(session) {
      checkShape(table, 'diesel', await tableColumns(session, table), ['version', 'run_on']);
      await session.query(`CREATE TABLE IF NOT EXISTS ${table} (version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
    },
    async read(session) {
      if ((await tableColumns(session, table)).length === 0) return { applied: new Map(), exists: false };
      const rows = await session.query<{ version: string; run_on: Date }>(`SELECT version, run_on FROM ${table}`);
      return { applied: new Map(rows.map((r) => [r.version, { appliedAt: r.run_on }])), exists: true };
    },
    recordUp(migration) {
      return [{ table, text: `INSERT INTO ${table} (version) VALUES ($1)`, values: [migration.key] }];
    },
    recordDown(migration) {
      return [{ table, text: `DELETE FROM ${table} WHERE version = $1`, values: [migration.key] }];
    },
  };
}
