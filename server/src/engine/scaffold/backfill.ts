// The batched backfill every trio uses: one DO block (so it is a single statement, which every tool can
// send outside a transaction, even those that send a file as one query string), walking the table in
// key order in batches of a configurable size, committing after each batch (PostgreSQL 11+ allows
// COMMIT in a DO block run outside a transaction), pausing between batches, and waiting while a
// replica's replay lag (pg_stat_replication) exceeds a threshold. It starts at the first row that
// still needs work and only touches rows that do, so it is idempotent and resumes where it stopped.

import type { TableName } from './sql-names';
import { quoteIdent, tableSql } from './sql-names';
import { raiseFormatText, sqlLiteral } from '../sql/quote';

export interface BackfillSettings {
  /** Rows per batch (each batch commits). */
  batchSize: number;
  /** Pause between batches, in milliseconds. */
  pauseMs: number;
  /** Wait while a replica's replay lag exceeds this many seconds. */
  maxLagSeconds: number;
  /** lock_timeout for the batches' row locks ('5s'). */
  lockTimeout: string;
}

export const DEFAULT_BACKFILL: Omit<BackfillSettings, 'lockTimeout'> = { batchSize: 1000, pauseMs: 100, maxLagSeconds: 10 };

export interface BackfillLoop {
  /** The table walked in key order. */
  table: TableName;
  /** Its key: a unique, indexed column (the primary key). */
  key: string;
  /** What the notices call it ("users.full_name"). */
  label: string;
  /**
   * A condition on the table (aliased `t`) true for rows that still need work: the loop starts at the
   * first such row. Batches skip rows for which it is false.
   */
  pending: string;
  /**
   * The statement of one batch. It must touch only rows with zdm_from <= key <= zdm_to (plpgsql
   * variables) that still need work.
   */
  batch: string;
  /** PL/pgSQL statements run once after the loop (in their own transaction, committed at the end). */
  epilogue?: string;
}

/** The DO block: a single statement, to run outside a transaction. */
export function backfillBlock(loop: BackfillLoop, settings: BackfillSettings): string {
  const t = tableSql(loop.table);
  const k = quoteIdent(loop.key);
  const label = raiseFormatText(loop.label);
  const lagSeconds = Math.max(0, settings.maxLagSeconds);
  return `DO $backfill$
DECLARE
  zdm_batch_size constant integer := ${Math.max(1, Math.floor(settings.batchSize))};  -- rows per batch; each batch commits
  zdm_pause constant float8 := ${(Math.max(0, settings.pauseMs) / 1000).toString()};  -- seconds to sleep between batches
  zdm_max_lag constant interval := '${lagSeconds} seconds';  -- wait while a replica lags more than this
  zdm_from ${t}.${k}%TYPE;
  zdm_to ${t}.${k}%TYPE;
  zdm_rows bigint;
  zdm_total bigint := 0;
  zdm_lag interval;
BEGIN
  PERFORM set_config('lock_timeout', ${sqlLiteral(settings.lockTimeout)}, false);
  -- Resume at the first row that still needs work (all done: nothing to do).
  SELECT min(t.${k}) INTO zdm_from FROM ${t} AS t WHERE ${loop.pending};
  WHILE zdm_from IS NOT NULL LOOP
    SELECT max(b.${k}) INTO zdm_to FROM (SELECT ${k} FROM ${t} WHERE ${k} >= zdm_from ORDER BY ${k} LIMIT zdm_batch_size) AS b;
    ${indent(loop.batch.trim().replace(/;?$/, ';'), '    ')}
    GET DIAGNOSTICS zdm_rows = ROW_COUNT;
    zdm_total := zdm_total + zdm_rows;
    COMMIT;
    RAISE NOTICE 'backfill ${label}: % rows so far, up to key %', zdm_total, zdm_to;
    SELECT min(${k}) INTO zdm_from FROM ${t} WHERE ${k} > zdm_to;
    PERFORM pg_sleep(zdm_pause);
    LOOP  -- replicas: let them catch up (replay_lag is NULL without replicas or without the pg_monitor role)
      SELECT max(replay_lag) INTO zdm_lag FROM pg_stat_replication;
      EXIT WHEN zdm_lag IS NULL OR zdm_lag <= zdm_max_lag;
      RAISE NOTICE 'backfill ${label}: waiting, replica replay lag % exceeds %', zdm_lag, zdm_max_lag;
      PERFORM pg_sleep(1);
    END LOOP;
  END LOOP;
  RAISE NOTICE 'backfill ${label}: done, % rows', zdm_total;${loop.epilogue ? '\n  ' + indent(loop.epilogue.trim(), '  ') : ''}
END
$backfill$;`;
}

function indent(text: string, prefix: string): string {
  return text.split('\n').join('\n' + prefix);
}
