// What the runner reports while it runs and when it is done. The CLI prints these (text, or one JSON
// object per line with --format jsonl, which is how the VS Code client follows a run), so the shapes
// here are an interface: keep them stable.

import type { FormatId } from '../model';

export type Direction = 'up' | 'down';

/** A database error placed in a migration file: 1-based line and UTF-16 column, as an editor counts. */
export interface RunError {
  message: string;
  /** SQLSTATE. */
  code?: string;
  detail?: string;
  hint?: string;
  /** PL/pgSQL context. */
  where?: string;
  /** Absolute path of the file that failed, when the error belongs to a statement. */
  file?: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  /** The failing statement: its 1-based number in its section, and its first line. */
  statement?: number;
  statementText?: string;
  section?: Direction;
  /** Statements of the section that were committed before the failure (sent one at a time). */
  committed?: number;
  /** True when the error position came from PostgreSQL (exact), false when it marks the whole statement. */
  exact?: boolean;
  /**
   * A sqitch change whose verify script failed (`zdm up --verify`): true when its revert script then
   * undid it, false when that failed too (what the deploy script did may remain). Either way the change
   * is not recorded as deployed.
   */
  reverted?: boolean;
  /** True when the run was asked to stop (Ctrl-C, SIGTERM, the editor's Cancel): the statement was cancelled, or not sent. */
  interrupted?: boolean;
}

export interface StatementResult {
  /** 1-based number within the section. */
  number: number;
  line: number;
  text: string;
  durationMs: number;
  ok: boolean;
}

export interface StepResult {
  version: string;
  name: string;
  direction: Direction;
  file: string;
  ok: boolean;
  durationMs: number;
  /** 'transaction': one transaction with its bookkeeping; 'statements': sent one at a time. */
  mode: 'transaction' | 'statements';
  modeReason: string;
  statements: StatementResult[];
  error?: RunError;
  /** The statement the run resumed at, after an interrupted attempt. */
  resumedAt?: number;
  /** Recorded as applied (or rolled back) without running it (--log-only): no statement was sent. */
  logOnly?: true;
  /**
   * Failed (`ok` false, `error` says why), and the run went on: a Liquibase changeset with
   * `failOnError:false`, which Liquibase passes over without recording it (it stays pending).
   */
  continued?: true;
}

export type RunEvent =
  | { type: 'database'; url: string; source: string; serverVersion?: number }
  | { type: 'plan'; command: string; steps: { version: string; name: string; direction: Direction }[]; logOnly?: true }
  | { type: 'migration-start'; version: string; name: string; file: string; format?: FormatId; direction: Direction; mode: 'transaction' | 'statements'; modeReason: string; statements: number; resumeAt?: number; logOnly?: true }
  | { type: 'statement'; version: string; file: string; direction: Direction; result: StatementResult }
  | { type: 'migration-end'; step: StepResult }
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string };

export interface StatusEntry {
  version: string;
  name?: string;
  file?: string;
  /** The migration's format (absent for one missing on disk). */
  format?: FormatId;
  /**
   * `below-baseline` (added later; a reader that knows only the others can take it as neither applied
   * nor pending): a Flyway migration at or below the version of the history's BASELINE row, which
   * Flyway never runs and zdm never runs or rolls back; also the baseline row itself (no `file`) when
   * no migration on disk has its version.
   */
  state: 'applied' | 'edited' | 'pending' | 'missing' | 'failed' | 'below-baseline';
  /**
   * A Flyway repeatable script (R__): no version (`version` is empty), runs after the versioned ones,
   * never rolled back. One whose file is gone (state `missing`, no `file`) has its script's name as `name`.
   */
  repeatable?: true;
  appliedAt?: string;
  note?: string;
  /** 1-based line of the up and down sections' starts, for editors. */
  upLine?: number;
  downLine?: number;
  downFile?: string;
  /** A migration (or rollback) that ran only partly: which statement failed (1-based), how many of how many were committed, the error (absent when the run was interrupted). */
  failure?: { direction: 'up' | 'down'; statement?: number; committed: number; total: number; error?: string; interrupted: boolean };
}

export interface Confirmation {
  reason: 'remote-database' | 'destructive-down';
  message: string;
  details: string[];
}

export interface RunResult {
  command: 'up' | 'rollback' | 'redo' | 'status' | 'baseline';
  /**
   * Flyway's baseline row this command wrote (`zdm baseline`, or `zdm up` under baselineOnMigrate), or
   * for a `zdm baseline` that found the very same baseline already there, that one with `skipped`.
   */
  baseline?: { version: string; description: string; skipped?: true };
  ok: boolean;
  /** --log-only: the steps were recorded in the tracking tables, never run. */
  logOnly?: true;
  /** Password masked. */
  database?: string;
  source?: string;
  steps: StepResult[];
  status?: StatusEntry[];
  /** The first failure (a migration, the lock, the connection). */
  error?: RunError;
  /** The run did not start: it needs confirmation (CLI --yes). */
  needsConfirmation?: Confirmation;
  /** Bad usage or configuration (exit 2). */
  usageError?: string;
  /** No database to talk to (none configured, the embedded one not running, and --no-start). */
  noDatabase?: boolean;
  /** The project folder (holding .zdm.json, and the .zdm/ state folder). */
  root?: string;
  warnings: string[];
  durationMs: number;
}

/**
 * How the CLI and the editor's output name a migration in a line: by its file (relative, through `rel`);
 * a Liquibase changeset by its file and `::id::author` (its name is `file::id::author`); a sqitch change by
 * its name (`users`, `users@v1.0`), as sqitch names it: its script is `deploy/<name>.sql`.
 */
export function migrationLabel(m: { name?: string; file?: string; format?: FormatId }, rel: (file: string) => string): string {
  if (m.format === 'sqitch' && m.name) return m.name;
  if (!m.file) return m.name ?? '';
  const at = m.format === 'liquibase' ? (m.name?.indexOf('::') ?? -1) : -1;
  return rel(m.file) + (at === -1 ? '' : m.name!.slice(at));
}
