// Prisma Migrate: `_prisma_migrations`, one row per migration folder, keyed by the folder name, with a
// SHA-256 checksum of migration.sql. Prisma has no down migrations.

import { createHash, randomUUID } from 'node:crypto';
import { quoteQualified } from '../db';
import { checkShape, tableColumns, type Tracker } from './types';

const COLUMNS = ['id', 'checksum', 'finished_at', 'migration_name', 'logs', 'rolled_back_at', 'started_at', 'applied_steps_count'];

export function prismaTracker(tableName = '_prisma_migrations'): Tracker {
  const table = quoteQualified(tableName);
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
      const rows = await session.query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>(`SELECT migration_name, finished_at, rolled_back_at FROM ${table} ORDER BY started_at`);
      const applied = new Map<string, { appliedAt?: Date }>();
      let dirty: string | undefined;
      for (const r of rows) {
        if (r.rolled_back_at !== null) continue;
        if (r.finished_at === null) dirty = r.migration_name;
        else applied.set(r.migration_name, { appliedAt: r.finished_at });
      }
      return { applied, exists: true, dirty: dirty !== undefined && !applied.has(dirty) ? dirty : undefined };
    },
    recordUp(migration) {
      return [
        {
          table,
          text: `INSERT INTO ${table} (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
          values: [randomUUID(), createHash('sha256').update(migration.up.fileText).digest('hex'), migration.key],
        },
      ];
    },
    recordLogged(migration) {
      // As `prisma migrate resolve --applied` records it (schema-engine's mark_migration_applied_impl):
      // started_at and finished_at the same time, logs '', applied_steps_count left at 0.
      return [
        {
          table,
          text: `INSERT INTO ${table} (id, checksum, logs, started_at, finished_at, migration_name) VALUES ($1, $2, '', now(), now(), $3)`,
          values: [randomUUID(), createHash('sha256').update(migration.up.fileText).digest('hex'), migration.key],
        },
      ];
    },
    recordDown(migration) {
      return [{ table, text: `UPDATE ${table} SET rolled_back_at = now() WHERE migration_name = $1 AND rolled_back_at IS NULL`, values: [migration.key] }];
    },
  };
}
