// The tracking table of each runnable format.

import type { FormatId } from '../../model';
import { quoteIdent, type Session, splitQualified } from '../db';
import { dbmateTracker } from './dbmate';
import { dieselTracker } from './diesel';
import { flywayTracker } from './flyway';
import { golangMigrateTracker } from './golang-migrate';
import { gooseTracker } from './goose';
import { liquibaseTracker } from './liquibase';
import { prismaTracker } from './prisma';
import { sqitchTracker } from './sqitch';
import type { Tracker } from './types';
import { zdmOnlyTracker, zdmTable, type ZdmTable } from './zdm';

export type { Tracker, ToolState } from './types';
export { TrackingTableError } from './types';
export { zdmTable, type ZdmRow, type ZdmTable } from './zdm';

/** The tracker for a format; `tableName` is .zdm.json's database.migrationsTable. */
export function trackerFor(format: FormatId, tableName: string | undefined): Tracker {
  switch (format) {
    case 'dbmate':
      return dbmateTracker(tableName);
    case 'golang-migrate':
      return golangMigrateTracker(tableName);
    case 'goose':
      return gooseTracker(tableName);
    case 'diesel':
      return dieselTracker(tableName);
    case 'flyway':
      return flywayTracker(tableName);
    case 'prisma':
      return prismaTracker(tableName);
    case 'sqitch':
      // The registry schema: `tableName` is its `changes` table (commands.ts trackingTableName).
      return sqitchTracker(tableName ? splitQualified(tableName)[0] : undefined);
    case 'liquibase':
      return liquibaseTracker(tableName);
    default:
      return zdmOnlyTracker(zdmTable(tableName));
  }
}

/** The tool's tracking table and zdm's own, beside it. */
export interface Tracking {
  tracker: Tracker;
  zdm: ZdmTable;
}

/**
 * The tracking tables of a session, named with the schema they are in now: the schema of the tool's
 * table when search_path finds it, else the schema a CREATE TABLE would use. A migration may change
 * search_path (`SET search_path = app`, `set_config`), and the bookkeeping that follows it in the
 * same session must still find the tables it read before: unqualified, it looked in the new schema
 * and failed ("relation "schema_migrations" does not exist") after the migration had run.
 */
export async function pinnedTracking(session: Session, format: FormatId, tableName: string | undefined): Promise<Tracking> {
  const tracker = trackerFor(format, tableName);
  if (splitQualified(tracker.table).length === 1) {
    const [row] = await session.query<{ schema: string | null }>(
      `SELECT coalesce((SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)), current_schema()) AS schema`,
      [tracker.table],
    );
    if (row?.schema) {
      const pinned = `${quoteIdent(row.schema)}.${tracker.table}`;
      return { tracker: trackerFor(format, pinned), zdm: zdmTable(pinned) };
    }
  }
  return { tracker, zdm: zdmTable(tableName) };
}
