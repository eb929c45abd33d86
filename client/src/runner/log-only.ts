// "zdm: Mark Migrations as Applied (log only)" and "zdm: Mark Migration as Not Applied (log only)":
// `zdm up --log-only` and `zdm rollback --log-only` from the editor, for adopting zdm on a database that
// already has the schema (or where migrations were undone by hand). The pure part (no VS Code API), so
// it is tested without an editor: which migrations the palette offers, and the modal question, which
// says plainly that no SQL runs but the tracking table will say it did, and on which database. The
// commands are not CodeLenses: a click too easily records what never ran.

import type { RunResult, StatusEntry } from '../../../server/src/engine/runner/events';
import { migrationItemLabel, migrationRunTarget } from './tree-items';

export type LogOnlyCommand = 'up' | 'rollback';

export interface LogOnlyChoice {
  label: string;
  description?: string;
  /** What `--to` (up) or `--through` (rollback) is given; undefined: every pending migration. */
  version?: string;
}

/**
 * What the palette offers, from `zdm status`: every pending migration or one to stop at (pending, or
 * failed: a partly applied one is recorded as applied as it is), in the order they would be applied;
 * for rollback, an applied one to go back through, newest first. Repeatable scripts (Flyway) have no
 * version to name. Empty: nothing to record.
 */
export function logOnlyChoices(command: LogOnlyCommand, entries: readonly StatusEntry[]): LogOnlyChoice[] {
  if (command === 'up') {
    const pending = entries.filter((e) => (e.state === 'pending' || e.state === 'failed') && !e.repeatable);
    if (pending.length === 0) return [];
    const each = pending.map((e): LogOnlyChoice => ({
      label: migrationItemLabel(e),
      description: e.state === 'failed' ? 'failed: recorded as applied as it is, and the pending ones before it' : 'and the pending ones before it',
      version: migrationRunTarget(e, entries),
    }));
    return [{ label: 'All pending migrations', description: `${pending.length} pending` }, ...each];
  }
  const applied = entries.filter((e) => (e.state === 'applied' || e.state === 'edited') && !e.repeatable).reverse();
  return applied.map((e, i) => ({
    label: migrationItemLabel(e),
    description: i === 0 ? 'the last applied' : `and the ${i === 1 ? 'one' : i} applied after it`,
    version: migrationRunTarget(e, entries),
  }));
}

/** The database a status names, as the user knows it: the editor's setting reaches the CLI as ZDM_DATABASE_URL. */
export function databaseName(status: Pick<RunResult, 'database' | 'source'>): string {
  const source = status.source === 'ZDM_DATABASE_URL' ? 'the zdm.database.url setting' : status.source;
  return `${status.database ?? 'the database'}${source ? ` (${source})` : ''}`;
}

export interface LogOnlyQuestion {
  message: string;
  detail: string;
  /** The modal's only button besides Cancel. */
  button: string;
}

/**
 * The modal question before a log-only run. `migration`: the migration picked (its label), undefined for
 * every pending one (up) or the last applied one (rollback); `database`: databaseName.
 */
export function logOnlyQuestion(command: LogOnlyCommand, migration: string | undefined, database: string): LogOnlyQuestion {
  if (command === 'up') {
    const what = migration === undefined ? 'every pending migration' : `${migration} and every pending migration before it`;
    return {
      message: `Mark ${what} as applied in ${database}, without running them?`,
      detail: [
        'Their SQL will NOT be run.',
        "The tracking table will say they were applied (the tool's own table and zdm_migrations, the rows a run writes), so Migrate Up will skip them from now on.",
        'Do this only when the database already has what they make (restored from a dump, made by hand, or by another tool).',
        `Same as: zdm up --log-only${migration === undefined ? '' : ' --to …'}`,
      ].join('\n\n'),
      button: 'Mark as Applied',
    };
  }
  const what = migration === undefined ? 'the last applied migration' : `${migration} and every migration applied after it`;
  return {
    message: `Mark ${what} as not applied in ${database}, without running their down sections?`,
    detail: [
      'Their down SQL will NOT be run: whatever they made stays in the database.',
      'The tracking table will say they were not applied, so the next Migrate Up runs them again.',
      'Do this only when they were undone by hand (or never really ran).',
      `Same as: zdm rollback --log-only${migration === undefined ? '' : ' --through …'}`,
    ].join('\n\n'),
    button: 'Mark as Not Applied',
  };
}
