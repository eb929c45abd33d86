import { columnsAddedToExistingTables, commandsOfExistingTables } from '../context';
import { notValidFixes } from '../fixes/constraints';
import { relationOf } from '../sql/ast';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const addingForeignKeyConstraint: Rule = {
  id: 'adding-foreign-key-constraint',
  family: 'locks',
  summary: 'A FOREIGN KEY added to an existing table and checked against every row at once (ADD CONSTRAINT without NOT VALID, ADD COLUMN ... DEFAULT ... REFERENCES)',
  defaultLevel: 'error',
  sameAs: [
    'squawk: adding-foreign-key-constraint (and the foreign-key half of constraint-missing-not-valid)',
    'postgres-language-server: addingForeignKeyConstraint',
    'pgfence: add-constraint-fk-no-not-valid',
    'strong_migrations: add_foreign_key / add_reference',
    'Eugene: E1',
  ],
  fixable: true,
  docs: {
    why: 'Adding a foreign key takes SHARE ROW EXCLUSIVE on the table and on the table it references (both get triggers), then reads every row of the table to check it has a match. Writes to both tables wait for the whole check.',
    instead:
      'Add it `NOT VALID`: the locks are held only for the catalog change, and new rows are checked from then on. Then run `ALTER TABLE ... VALIDATE CONSTRAINT ...` in a later transaction: validation takes SHARE UPDATE EXCLUSIVE on the table and ROW SHARE on the referenced one, so reads and writes continue. A new column without a default (`ADD COLUMN ... REFERENCES`) is NULL in every row and needs no check, so it is not flagged.',
    invalid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n" },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN region_id int NOT NULL DEFAULT 1 REFERENCES regions (id);\n\n-- migrate:down\nALTER TABLE orders DROP COLUMN region_id;\n",
        note: 'With a default every existing row gets a value, and every value is checked.',
      },
    ],
    valid: [
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n",
      },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);\n\n-- migrate:down\nALTER TABLE orders DROP COLUMN coupon_id;\n", note: 'A new nullable column has nothing to check.' },
      {
        sql: '-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n\n-- migrate:down\nDROP TABLE orders;\n',
        note: 'The table is new and empty.',
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const commands = commandsOfExistingTables(context);
    for (let i = 0; i < commands.length; i++) {
      const { statement: s, table, c } = commands[i];
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_FOREIGN' && !cmd.def.Constraint.skip_validation) {
        const constraint = cmd.def.Constraint;
        const start = s.offsetOf(constraint.location);
        const end = clauseEnd(s, start);
        const referenced = relationOf(constraint.pktable)?.display ?? 'the referenced table';
        context.report({
          statement: s,
          span: { start, end },
          message: `Adding FOREIGN KEY${constraint.conname ? ' ' + constraint.conname : ''} reads every row of ${table.display} under SHARE ROW EXCLUSIVE on ${table.display} and ${referenced}: writes to both wait until every row is checked.`,
          help: 'Add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction (validation lets reads and writes through).',
          fixes: notValidFixes(context, s, constraint, table),
        });
      }
    }
    const added = columnsAddedToExistingTables(context);
    for (let i = 0; i < added.length; i++) {
      const { statement: s, table, column, shape } = added[i];
      if (shape.references.length === 0 || (shape.defaultExpr === undefined && !shape.serial && !shape.identity && !shape.generatedStored)) continue;
      const reference = shape.references[0];
      const start = s.offsetOf(column.location);
      context.report({
        statement: s,
        span: { start, end: clauseEnd(s, start) },
        message: `ADD COLUMN ${shape.name} ... REFERENCES ${relationOf(reference.pktable)?.display ?? ''} gives every existing row a value and checks each one against the referenced table, holding ACCESS EXCLUSIVE on ${table.display} and SHARE ROW EXCLUSIVE on ${relationOf(reference.pktable)?.display ?? 'the referenced table'}.`,
        help: 'Add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, and VALIDATE CONSTRAINT in a later transaction.',
      });
    }
  },
};
