import { removalIsOwnBusiness } from '../context';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { findClause, headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const renamingColumn: Rule = {
  id: 'renaming-column',
  family: 'breaking',
  summary: 'RENAME COLUMN on a column that existed before this migration',
  defaultLevel: 'error',
  sameAs: ['squawk: renaming-column', 'postgres-language-server: renaming-column', 'pgfence: rename-column', 'strong_migrations: rename_column', 'Atlas: BC102'],
  docs: {
    why: "The rename itself is instant, but the application version still running during the deployment keeps using the old name: its queries fail with `column does not exist` from the moment the migration commits until the new version is everywhere (and again after a rollback of the code).\n\nNot flagged: columns added earlier in the same migration, and a down that renames back what its up renamed.",
    instead: 'Rename in three deployments (expand, migrate, contract): add the new column and write both, backfill it, move the reads, then drop the old column. For a short transition, a view or a generated column can expose both names.',
    invalid: [{ sql: '-- migrate:up\nALTER TABLE users RENAME COLUMN name TO display_name;\n\n-- migrate:down\nALTER TABLE users RENAME COLUMN display_name TO name;\n' }],
    valid: [{ sql: '-- migrate:up\nALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users RENAME COLUMN nick TO nickname;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN nickname;\n', note: 'A column added in the same migration: no deployed code uses it yet.' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'RenameStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const rename = bodyOf(s.node, 'RenameStmt');
      if (!rename || rename.renameType !== 'OBJECT_COLUMN' || !rename.subname) continue;
      const table = relationOf(rename.relation);
      if (!table) continue;
      if (removalIsOwnBusiness(context, s, { kind: 'column', name: rename.subname, table })) continue;
      const clause = findClause(s, ['rename'], rename.subname, ['column']);
      context.report({
        statement: s,
        span: clause ? { start: clause.start, end: s.span.end } : headSpan(s),
        message: `Renaming ${table.display}.${rename.subname} to ${rename.newname} breaks the running application: its queries still use the old name and fail until every instance runs the new code.`,
        help: `Rename in three deployments (add the new column kept in step by a trigger, backfill, drop the old one): zdm trio rename-column ${table.display}.${rename.subname} --to ${rename.newname} --type <its type> writes them.`,
      });
    }
  },
};
