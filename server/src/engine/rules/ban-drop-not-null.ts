import { removalIsOwnBusiness } from '../context';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { clauseEnd, findClause, headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropNotNull: Rule = {
  id: 'ban-drop-not-null',
  family: 'breaking',
  summary: 'ALTER COLUMN ... DROP NOT NULL on an existing column',
  defaultLevel: 'warning',
  sameAs: ['squawk: ban-drop-not-null', 'postgres-language-server: ban-drop-not-null', 'pgfence: drop-not-null'],
  docs: {
    why: "Code of the running application version may rely on the column never being NULL (non-optional fields in its models, arithmetic, joins); once new writers store NULLs there, that code fails on the rows they write. Relaxing NOT NULL is also a step of removing a column, in which case make sure readers already treat it as optional.\n\nNot flagged: a column added or made NOT NULL earlier in the same migration, a down that drops the NOT NULL its up set, and `ALTER COLUMN c TYPE ..., ALTER COLUMN c DROP NOT NULL` in one statement (a restated column definition, as ORMs generate for change_column, where the column was usually nullable already).",
    instead: 'Deploy readers that handle NULL first, then drop the constraint.',
    invalid: [{ sql: '-- migrate:up\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n\n-- migrate:down\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' }],
    valid: [{ sql: '-- migrate:up\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n\n-- migrate:down\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n', note: 'The down drops the NOT NULL its up set.' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterTableStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const alter = bodyOf(s.node, 'AlterTableStmt');
      if (!alter) continue;
      const table = relationOf(alter.relation);
      if (!table) continue;
      const cmds = alter.cmds ?? [];
      for (let k = 0; k < cmds.length; k++) {
        const c = cmds[k];
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype !== 'AT_DropNotNull' || !cmd.name) continue;
        // `TYPE x, DROP NOT NULL` on one column restates a whole column definition (ORM change_column output, fizz):
        // the nullability is usually unchanged, so only a DROP NOT NULL of its own is taken as a relaxation.
        if ((alter.cmds ?? []).some((o: any) => o.AlterTableCmd?.subtype === 'AT_AlterColumnType' && o.AlterTableCmd.name === cmd.name)) continue;
        if (removalIsOwnBusiness(context, s, { kind: 'not-null', name: cmd.name, table })) continue;
        if (removalIsOwnBusiness(context, s, { kind: 'column', name: cmd.name, table }, { dataBearing: true })) continue;
        const clause = findClause(s, ['alter'], cmd.name, ['column']);
        context.report({
          statement: s,
          span: clause ? { start: clause.start, end: clauseEnd(s, clause.start) } : headSpan(s),
          message: `Dropping NOT NULL on ${table.display}.${cmd.name} lets NULLs in where the running application's code may assume there are none.`,
          help: 'Deploy readers that handle NULL in this column first, then relax the constraint.',
        });
      }
    }
  },
};
