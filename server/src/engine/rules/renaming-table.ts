import { removalIsOwnBusiness } from '../context';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

const KINDS: Record<string, { kind: 'table' | 'view' | 'matview'; label: string }> = {
  OBJECT_TABLE: { kind: 'table', label: 'table' },
  OBJECT_FOREIGN_TABLE: { kind: 'table', label: 'table' },
  OBJECT_VIEW: { kind: 'view', label: 'view' },
  OBJECT_MATVIEW: { kind: 'matview', label: 'materialized view' },
};

export const renamingTable: Rule = {
  id: 'renaming-table',
  family: 'breaking',
  summary: 'RENAME TO on a table or view that existed before this migration',
  defaultLevel: 'error',
  sameAs: ['squawk: renaming-table', 'postgres-language-server: renaming-table', 'pgfence: rename-table', 'strong_migrations: rename_table', 'Atlas: BC101'],
  docs: {
    why: "Every query of the application version still running names the table by its old name: from the moment the migration commits they fail with `relation does not exist` until the new version is everywhere.\n\nNot flagged: a table created earlier in the same migration, a rename whose old name is taken again later in the same section (a compatibility view, or the swap of a rebuilt table into place), and a down that renames back what its up renamed.",
    instead: 'Rename the table and create a view with the old name in the same migration (a simple view is updatable, so reads and writes keep working), move the code to the new name, then drop the view. Or create the new table, dual-write, backfill, and drop the old one.',
    invalid: [{ sql: '-- migrate:up\nALTER TABLE user_ RENAME TO person;\n\n-- migrate:down\nALTER TABLE person RENAME TO user_;\n' }],
    valid: [
      { sql: '-- migrate:up\nALTER TABLE user_ RENAME TO person;\nCREATE VIEW user_ AS SELECT * FROM person;\n\n-- migrate:down\nDROP VIEW user_;\nALTER TABLE person RENAME TO user_;\n', note: 'A view keeps the old name working during the transition.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'RenameStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const rename = bodyOf(s.node, 'RenameStmt');
      const kind = rename ? KINDS[rename.renameType] : undefined;
      if (!rename || !kind) continue;
      const relation = relationOf(rename.relation);
      if (!relation) continue;
      if (removalIsOwnBusiness(context, s, { kind: kind.kind, name: relation.name, schema: relation.schema })) continue;
      context.report({
        statement: s,
        span: headSpan(s, s.offsetOf(relation.location)),
        message: `Renaming ${kind.label} ${relation.display} to ${rename.newname} breaks the running application: its queries still use the old name and fail until every instance runs the new code.`,
        help: kind.kind === 'table' ? `Keep the old name working with a view named ${relation.display} over the renamed table in the same migration, or split it into three deployments: zdm trio rename-table ${relation.display} --to ${rename.newname}.` : `Keep the old name working: create a view named ${relation.display} over the renamed ${kind.label} in the same migration, and drop it once the code moved.`,
      });
    }
  },
};
