import { removalIsOwnBusiness } from '../context';
import type { Statement } from '../model';
import { bodyOf, relationOf, sameRelation, type RelationRef } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { clauseEnd, findClause, headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropDefault: Rule = {
  id: 'ban-drop-default',
  family: 'breaking',
  summary: 'ALTER COLUMN ... DROP DEFAULT on a column the application writes',
  defaultLevel: 'warning',
  sameAs: ['squawk: ban-drop-default'],
  docs: {
    why: 'Inserts of the running application version that leave the column out relied on the default: after DROP DEFAULT they store NULL, or fail if the column is NOT NULL.\n\nNot flagged: the default of a column added in the same migration (adding a column with a default and dropping the default afterwards is how existing rows get a value without new rows getting it), a default set again later in the same section (around a type change), a table that gets a BEFORE INSERT trigger in the same migration (the trigger takes over filling the column), and a down that drops the default its up set.',
    instead: 'Deploy code that always writes the column first, then drop the default.',
    invalid: [{ sql: "-- migrate:up\nALTER TABLE orders ALTER COLUMN status DROP DEFAULT;\n\n-- migrate:down\nALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';\n" }],
    valid: [
      { sql: "-- migrate:up\nALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';\nALTER TABLE orders ALTER COLUMN currency DROP DEFAULT;\n\n-- migrate:down\nALTER TABLE orders DROP COLUMN currency;\n", note: 'The default only filled the existing rows of a new column.' },
      { sql: "-- migrate:up\nALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';\n\n-- migrate:down\nALTER TABLE orders ALTER COLUMN status DROP DEFAULT;\n", note: 'The down drops the default its up set.' },
    ],
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
        if (cmd?.subtype !== 'AT_ColumnDefault' || cmd.def || !cmd.name) continue;
        if (removalIsOwnBusiness(context, s, { kind: 'default', name: cmd.name, table })) continue;
        if (removalIsOwnBusiness(context, s, { kind: 'column', name: cmd.name, table }, { dataBearing: true })) continue;
        if (insertTriggerCreated(context.facts.sectionStatements(s.section), table)) continue;
        const clause = findClause(s, ['alter'], cmd.name, ['column']);
        context.report({
          statement: s,
          span: clause ? { start: clause.start, end: clauseEnd(s, clause.start) } : headSpan(s),
          message: `Dropping the default of ${table.display}.${cmd.name} changes what the running application's inserts store: rows that leave the column out get NULL, or fail if it is NOT NULL.`,
          help: 'Deploy code that always writes the column, then drop the default.',
        });
      }
    }
  },
};

/** A BEFORE INSERT trigger created on `table` in the section: it may fill the column instead of the default. */
function insertTriggerCreated(section: readonly Statement[], table: RelationRef): boolean {
  return section.some((o) => {
    const trigger = bodyOf(o.node, 'CreateTrigStmt');
    if (!trigger) return false;
    const on = relationOf(trigger.relation);
    // timing bit 2 = BEFORE; events bit 4 = INSERT (pg_trigger tgtype)
    return on !== undefined && sameRelation(on, table) && ((trigger.timing ?? 0) & 2) !== 0 && ((trigger.events ?? 0) & 4) !== 0;
  });
}
