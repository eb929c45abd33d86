// What the Migrations view (tree.ts) shows for a migration and what its buttons run: the pure part of
// tree.ts (no VS Code API), so it is tested without an editor.
// - The label: a file's name (or a diesel / Prisma migration's folder); a sqitch change's
//   full name (`schema/tags`, `users@v1.0`: its name is not a path to cut); a Liquibase changeset's
//   whole `path::id::author` (`db/changelog/001.sql::3::bob`), as `zdm status` prints it and --to takes
//   it: cut at its last `/`, an id holding one (`2024/01/add`) lost its start, and the changelog its file.
// - The target its "Migrate up to here" / "Roll back to here" buttons give `--to` / `--through`: the
//   version (its position for sqitch and Liquibase), but a sqitch change's name: sqitch reads digits
//   that are a change's name as that change (runner/sqitch.ts sqitchVersionOf), so a position could
//   name another change; the name is what sqitch and the CodeLens give too. The rework of a reworked
//   change (`users`, shown after `users@v1.0`) is `users@HEAD`: sqitch refuses its bare name as
//   ambiguous, and so does the runner.

import type { StatusEntry } from '../../../server/src/engine/runner/events';

type Entry = Pick<StatusEntry, 'version' | 'name' | 'format'>;

/** The last segment of a path, with either separator. */
function lastSegment(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}

/** The view's label for a migration. */
export function migrationItemLabel(entry: Entry): string {
  if (!entry.name) return entry.version;
  if (entry.format === 'sqitch' || entry.format === 'liquibase') return entry.name;
  return lastSegment(entry.name);
}

/** What the view's buttons give `zdm up --to` and `zdm rollback --through` for a migration, among the view's `entries`. */
export function migrationRunTarget(entry: Entry, entries: readonly Entry[] = []): string {
  if (entry.format !== 'sqitch' || !entry.name) return entry.version;
  // An earlier version of a reworked change is named `name@tag` (a name has no @): this is its rework.
  const name = entry.name;
  if (!name.includes('@') && entries.some((e) => e.format === 'sqitch' && e.name?.startsWith(`${name}@`))) return `${name}@HEAD`;
  return name;
}
