import { removalIsOwnBusiness } from '../context';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { clauseEnd, findClause, headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropColumn: Rule = {
  id: 'ban-drop-column',
  family: 'breaking',
  summary: 'DROP COLUMN of a column that existed before this migration',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-drop-column', 'postgres-language-server: ban-drop-column', 'pgfence: drop-column', 'strong_migrations: remove_column', 'Atlas: DS103'],
  docs: {
    why: "The application version still running during the deployment selects, inserts and updates the column by name: once it is gone those queries fail (`column does not exist`), and ORMs that list every column in their SELECTs fail on all reads of the table. The data is deleted with it, so a rollback cannot restore it.\n\nNot flagged: a column added earlier in the same migration, a column dropped and added again in the same migration (a deliberate reset of its values: the running application still finds it), and drops in down sections (see `irreversible-down`).",
    instead: 'This is the contract step of expand / contract: first deploy application code that no longer reads or writes the column (tell the ORM to ignore it), then drop it in a migration of its own.',
    invalid: [{ sql: '-- migrate:up\nALTER TABLE users DROP COLUMN legacy_login;\n\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy_login text;\n' }],
    valid: [
      { sql: '-- migrate:up\nALTER TABLE users ADD COLUMN nickname text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN nickname;\n', note: 'The down removes the column its up added.' },
      { sql: '-- migrate:up\nALTER TABLE users ADD COLUMN tmp_score bigint;\nALTER TABLE users DROP COLUMN tmp_score;\n\n-- migrate:down\n' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterTableStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      if (s.section.kind === 'down') continue;
      const alter = bodyOf(s.node, 'AlterTableStmt');
      if (!alter) continue;
      const table = relationOf(alter.relation);
      if (!table) continue;
      const cmds = alter.cmds ?? [];
      for (let k = 0; k < cmds.length; k++) {
        const c = cmds[k];
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype !== 'AT_DropColumn' || !cmd.name) continue;
        if (removalIsOwnBusiness(context, s, { kind: 'column', name: cmd.name, table })) continue;
        const clause = findClause(s, ['drop'], cmd.name, ['column', 'if', 'exists']);
        context.report({
          statement: s,
          span: clause ? { start: clause.start, end: clauseEnd(s, clause.start) } : headSpan(s),
          message: `Dropping column ${cmd.name} of ${table.display} breaks the application version still running: its queries that name the column fail, and the data is gone for a rollback.`,
          help: `Deploy code that no longer uses the column first, then drop it in its own contract migration (zdm trio drop-column ${table.display}.${cmd.name} --type <its type> writes the steps).`,
        });
      }
    }
  },
};
