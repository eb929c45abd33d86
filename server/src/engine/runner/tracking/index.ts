// The tracking table of each runnable format.

import type { FormatId } from '../../model';
import { dbmateTracker } from './dbmate';
import { dieselTracker } from './diesel';
import { flywayTracker } from './flyway';
import { golangMigrateTracker } from './golang-migrate';
import { gooseTracker } from './goose';
import { prismaTracker } from './prisma';
import type { Tracker } from './types';
import { zdmOnlyTracker, zdmTable } from './zdm';

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
    default:
      return zdmOnlyTracker(zdmTable(tableName));
  }
}
