// What a migration tool's tracking table looks like to the runner. One module per tool keeps the
// table exactly as the tool itself keeps it, so a developer can switch between the tool and zdm on one
// dev database: what one applied, the other sees as applied.

import type { Session, SqlCommand } from '../db';
import type { RunError } from '../events';
import type { Migration } from '../migrations';

export interface ToolState {
  /**
   * Applied migration keys (as the tool stores them), with the applied time when the table has one, and
   * for a tool that rolls back in the order it applied (goose: its table's id), that order; `checksum`:
   * the tool's own checksum of it as stored (Liquibase's MD5SUM, for the applied-migration record;
   * Flyway's CRC32, for its validation); `description`: as the tool stored it (Flyway's, for its validation).
   */
  applied: Map<string, { appliedAt?: Date; order?: number; checksum?: string; description?: string }>;
  /** A migration the tool marked as half-applied (golang-migrate's dirty flag, a failed Flyway row). */
  dirty?: string;
  /**
   * Migrations the tool recorded as failed and refuses to go past until its table is repaired (a Flyway
   * row with success = false, a Prisma row neither finished nor rolled back), by key (a repeatable
   * script's: its file name): what status says, and why `up` is refused with what to do. `besideZdm`:
   * what status adds when zdm's own record of the failure wins (it resumes where it stopped).
   */
  failed?: Map<string, { note: string; refusal: string; besideZdm?: string }>;
  /** Flyway's repeatable scripts by file name: the checksum and description of their latest successful run. */
  repeatables?: Map<string, { checksum: number | null; description: string; appliedAt?: Date }>;
  /** False when the table does not exist yet (nothing applied). */
  exists: boolean;
  /**
   * Flyway's baseline row (type BASELINE, written by `flyway baseline` or baselineOnMigrate): the
   * versioned migrations at or below its version are "Below Baseline", neither pending nor applied by a
   * migration; Flyway never runs them, and there is nothing of them to undo.
   */
  baseline?: { version: string; description: string; installedRank: number; appliedAt?: Date };
  /**
   * The tool's own verdict on a migration, by key, beyond applied or not (Liquibase's checksums): an
   * applied one it would report as changed (`edited`), or why a pending one runs (again).
   */
  verdicts?: Map<string, { edited?: boolean; note: string }>;
}

export interface Tracker {
  /** The tool whose table this is, for messages. */
  tool: string;
  /** The table, as written in SQL (quoted). */
  table: string;
  /** Creates the table if missing; fails with a clear message when a table of that name has another shape. */
  ensure(session: Session): Promise<void>;
  /** Reads what is applied. `migrations` are those on disk (golang-migrate keeps only the current version). */
  read(session: Session, migrations: readonly Migration[]): Promise<ToolState>;
  /** The statements recording `migration` as applied (run inside the migration's transaction when it has one). */
  recordUp(migration: Migration, durationMs: number): SqlCommand[];
  /** The statements recording `migration` as rolled back. `previous` becomes the latest applied. */
  recordDown(migration: Migration, previous: Migration | undefined): SqlCommand[];
  /**
   * The statements recording `migration` as applied without running it (`zdm up --log-only`), when the
   * tool records that differently from a run (Prisma's `migrate resolve --applied`); else recordUp's.
   */
  recordLogged?(migration: Migration): SqlCommand[];
  /** Marks a migration as running before statements that cannot share its bookkeeping transaction. */
  markStarted?(migration: Migration): SqlCommand[];
  /**
   * The statements recording that `migration`'s up failed part way, sent statement by statement (sqitch's
   * `fail` event, Flyway's success = false row, Prisma's unfinished row); the migration is not recorded as
   * applied. `error` is what failed, as the run reports it.
   */
  recordFailed?(migration: Migration, error: RunError): SqlCommand[];
  /**
   * The statements recording that `migration`'s up failed in one transaction, rolled back, for a tool
   * that records that too: Prisma writes its row before it sends the script, outside the script's
   * transaction, and on failure leaves it unfinished with the error in `logs` (schema-engine
   * apply_migrations: record_migration_started, then record_failed_step).
   */
  recordFailedTransaction?(migration: Migration, error: RunError): SqlCommand[];
  /** Takes the tool's own lock (Liquibase's databasechangeloglock) for a run that changes the database; throws LockBusyError when another process holds it. */
  lock?(session: Session): Promise<void>;
  /** Releases it (in `finally`). */
  unlock?(session: Session): Promise<void>;
}

export class TrackingTableError extends Error {}

/** The columns of a table (empty when it does not exist). `name` is already quoted. */
export async function tableColumns(session: Session, quotedName: string): Promise<string[]> {
  const rows = await session.query<{ attname: string }>(
    'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    [quotedName],
  );
  return rows.map((r) => r.attname);
}

/** Fails when an existing table lacks the columns the tool needs (another tool made it). */
export function checkShape(table: string, tool: string, columns: readonly string[], required: readonly string[], foreign: readonly string[] = []): void {
  if (columns.length === 0) return;
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length === 0 && !foreign.some((c) => columns.includes(c))) return;
  const guess = columns.includes('dirty') ? ' (it looks like golang-migrate\'s)' : columns.length === 1 && columns[0] === 'version' ? " (it looks like dbmate's)" : '';
  throw new TrackingTableError(
    `The table ${table} exists with columns (${columns.join(', ')})${guess}, but ${tool} keeps (${required.join(', ')}). Set "format" in .zdm.json to the tool that created it, or "database.migrationsTable" to another table.`,
  );
}
