// Where the runner's CodeLenses go in a migration file and what each one runs: the pure part of
// codelens.ts (no VS Code API), so it is tested without an editor.
// - A file with a version (dbmate, goose, golang-migrate, diesel, Flyway, Prisma, plain): "Migrate up to
//   here" above its up section (`zdm up --to VERSION`), "Roll back to here" above its down section
//   (`zdm rollback --through VERSION`).
// - A sqitch script: its version is its change's position in sqitch.plan (formats/sqitch.ts); the lens
//   names the change so that it still points at the same change when the plan grows: its name, or for
//   a reworked change (whose bare name sqitch refuses as ambiguous) its tag-qualified name, `name@tag`
//   for the earlier version and `name@HEAD` for the rework. A deploy script migrates up to its
//   change, a revert script rolls back through it: a version of a reworked change by its change id,
//   since a rollback reads `name@HEAD` as sqitch revert does, among the deployed changes (the earlier
//   version while the rework is not deployed: its lens would roll back the other version), while the
//   id is that version or `Change not deployed`.
// - A Liquibase changelog holds many changesets: each `--changeset` line gets its own pair, naming the
//   changeset by the file and its id and author (`/abs/path.sql::id::author`, which --to and --through
//   accept: plan.ts liquibaseVersionOf). "Roll back to here" only for a changeset with a rollback (one
//   without is refused, as Liquibase refuses it).

import { describeMigration } from '../../../server/src/engine/formats/index';
import { sqitchChangeOfScript } from '../../../server/src/engine/formats/sqitch';
import type { ProjectHost } from '../../../server/src/engine/host';
import { readLiquibaseChangelog, runsOnPostgres } from '../../../server/src/engine/runner/liquibase-changelog';
import { RUNNABLE_FORMATS } from '../../../server/src/engine/runner/runnable';
import { LineIndex } from '../../../server/src/engine/text/offsets';

export interface RunnerLens {
  /** 0-based line the lens stands above. */
  line: number;
  title: string;
  command: 'zdm.migrateUp' | 'zdm.rollback';
  /** The command's argument: the file, and what `--to` (up) or `--through` (rollback) is given. */
  target: { file: string; version: string };
}

const UP = '$(arrow-up) Migrate up to here';
const DOWN = '$(arrow-down) Roll back to here';

/** The runner's lenses for a file (none when the runner does not apply it). */
export function runnerLenses(file: string, text: string, host: ProjectHost): RunnerLens[] {
  const doc = describeMigration(file, text, host);
  if (!RUNNABLE_FORMATS.includes(doc.format) || doc.dialect) return [];
  if (doc.role === 'repeatable' || doc.role === 'verify' || doc.role === 'unknown') return [];
  const lines = new LineIndex(text);
  const at = (offset: number) => lines.positionAt(offset).line;
  if (doc.format === 'sqitch') {
    // The change at the script's place in the plan (a verify script has no lens).
    const change = sqitchChangeOfScript(file, host);
    if (change === undefined || change.role === 'verify') return [];
    if (change.role === 'deploy') return [{ line: 0, title: UP, command: 'zdm.migrateUp', target: { file, version: change.target } }];
    return [{ line: 0, title: DOWN, command: 'zdm.rollback', target: { file, version: change.revertTarget } }];
  }
  if (doc.format === 'liquibase') {
    const lenses: RunnerLens[] = [];
    for (const c of readLiquibaseChangelog(text).changesets) {
      // Left out by Liquibase (and the runner): nothing to migrate to.
      if (c.ignore || !runsOnPostgres(c.dbms)) continue;
      const target = { file, version: `${file}::${c.id}::${c.author}` };
      lenses.push({ line: at(c.offset), title: UP, command: 'zdm.migrateUp', target });
      if (c.hasRollback) lenses.push({ line: at(c.offset), title: DOWN, command: 'zdm.rollback', target });
    }
    return lenses;
  }
  if (doc.version === undefined) return [];
  // A plain .sql file outside a migrations folder is not a migration to run.
  if (doc.format === 'plain' && doc.formatSource === 'default' && !/(^|[\\/])(migrations?|migrate)([\\/]|$)/i.test(file)) return [];
  const target = { file, version: doc.version };
  const lenses: RunnerLens[] = [];
  const up = doc.sections.find((s) => s.kind === 'up');
  const down = doc.sections.find((s) => s.kind === 'down');
  if (up) lenses.push({ line: at((up.marker ?? up.span).start), title: UP, command: 'zdm.migrateUp', target });
  if (down) lenses.push({ line: at((down.marker ?? down.span).start), title: DOWN, command: 'zdm.rollback', target });
  return lenses;
}
