// Where the runner's CodeLenses go in a migration file and what each one runs: the pure part of
// codelens.ts (no VS Code API), so it is tested without an editor.
// - A file with a version (dbmate, goose, golang-migrate, diesel, Flyway, Prisma, plain): "Migrate up to
//   here" above its up section (`zdm up --to VERSION`), "Roll back to here" above its down section
//   (`zdm rollback --through VERSION`).
// - A sqitch script: the format layer gives it no version (its position comes from sqitch.plan, and a
//   version there would change the order the linter replays a folder's history in), so the change is
//   found here, in sqitch.plan, and named as the runner names it: its name, or `name@tag` for the earlier
//   version of a reworked change. A deploy script migrates up to its change, a revert script rolls back
//   through it.
// - A Liquibase changelog holds many changesets: each `--changeset` line gets its own pair, naming the
//   changeset by the file and its id and author (`/abs/path.sql::id::author`, which --to and --through
//   accept: plan.ts liquibaseVersionOf). "Roll back to here" only for a changeset with a rollback (one
//   without is refused, as Liquibase refuses it).

import * as path from 'node:path';
import { describeMigration } from '../../../server/src/engine/formats/index';
import { sqitchLayout } from '../../../server/src/engine/formats/sqitch';
import type { ProjectHost } from '../../../server/src/engine/host';
import { childPath } from '../../../server/src/engine/paths';
import { readLiquibaseChangelog, runsOnPostgres } from '../../../server/src/engine/runner/liquibase-changelog';
import { RUNNABLE_FORMATS } from '../../../server/src/engine/runner/runnable';
import { parseSqitchPlan, type SqitchChange } from '../../../server/src/engine/runner/sqitch-plan';
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
    const change = sqitchChangeKey(file, host);
    if (change === undefined) return [];
    const target = { file, version: change.key };
    return change.role === 'deploy' ? [{ line: 0, title: UP, command: 'zdm.migrateUp', target }] : [{ line: 0, title: DOWN, command: 'zdm.rollback', target }];
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

/**
 * The change a sqitch deploy or revert script belongs to, named as the runner names it (runner/sqitch.ts
 * changeKey): a change's scripts are `deploy/<name>.sql`; a change reworked later in the plan runs from
 * `deploy/<name><tag>.sql` (the first of its rework tags whose deploy script exists, else the first) and
 * is named by its first tag (else that first rework tag). Undefined when the plan does not read or
 * plans no change with this script.
 */
function sqitchChangeKey(file: string, host: ProjectHost): { key: string; role: 'deploy' | 'revert' } | undefined {
  const layout = sqitchLayout(file, host);
  if (!layout || layout.role === 'verify') return undefined;
  let changes: SqitchChange[];
  try {
    changes = parseSqitchPlan(host.readFile(childPath(layout.top, 'sqitch.plan')) ?? '').changes;
  } catch {
    return undefined; // the runner refuses such a plan, with its line
  }
  const scriptOf = (c: SqitchChange): string => {
    if (c.reworkTags.length === 0) return c.name;
    const segments = c.name.split('/');
    const found = c.reworkTags.find((tag) => host.fileExists(childPath(layout.top, 'deploy', ...segments.slice(0, -1), `${segments[segments.length - 1]}${tag}.sql`)));
    return `${c.name}${found ?? c.reworkTags[0]}`;
  };
  const change = changes.find((c) => scriptOf(c) === layout.change.split(path.sep).join('/'));
  if (!change) return undefined;
  return { key: change.reworkTags.length === 0 ? change.name : `${change.name}${change.tags[0]?.name ?? change.reworkTags[0]}`, role: layout.role };
}
