import { commandsOfExistingTables } from '../context';
import { notValidFixes } from '../fixes/constraints';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const constraintMissingNotValid: Rule = {
  id: 'constraint-missing-not-valid',
  family: 'locks',
  summary: 'ADD CONSTRAINT ... CHECK on an existing table without NOT VALID',
  defaultLevel: 'error',
  sameAs: [
    'squawk: constraint-missing-not-valid (foreign keys: see adding-foreign-key-constraint)',
    'postgres-language-server: constraintMissingNotValid',
    'pgfence: add-constraint-check-no-not-valid',
    'strong_migrations: add_check_constraint',
    'Eugene: E1',
  ],
  fixable: true,
  docs: {
    why: 'Adding a CHECK constraint reads the whole table to validate every row while holding an ACCESS EXCLUSIVE lock: no reads, no writes until it is done. On a large table that is an outage. (Foreign keys are checked by adding-foreign-key-constraint.)',
    instead: 'Add the constraint with `NOT VALID` (a brief lock, no scan; new rows are checked from then on), then `ALTER TABLE ... VALIDATE CONSTRAINT ...` in a later transaction: validation takes only SHARE UPDATE EXCLUSIVE, so traffic continues.',
    invalid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_total_positive;\n" },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN discount integer CHECK (discount >= 0);\n\n-- migrate:down\nALTER TABLE orders DROP COLUMN discount;\n", note: 'A CHECK written with the new column is checked against every existing row as well.' },
    ],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_total_positive;\n" },
      { sql: '-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n\n-- migrate:down\nDROP TABLE orders;\n', note: 'The table is new and empty: validation costs nothing.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const commands = commandsOfExistingTables(context);
    for (let i = 0; i < commands.length; i++) {
      const { statement: s, table, c } = commands[i];
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddColumn') {
        // A CHECK written with the new column is checked against every existing row too, and cannot be
        // NOT VALID there (measured: a full scan of the table under ACCESS EXCLUSIVE).
        const column = cmd.def?.ColumnDef;
        const check = (column?.constraints ?? []).map((k: any) => k.Constraint).find((k: any) => k?.contype === 'CONSTR_CHECK');
        if (!check) continue;
        const start = s.offsetOf(check.location);
        context.report({
          statement: s,
          span: { start, end: clauseEnd(s, start) },
          message: `A CHECK written with ADD COLUMN ${column.colname} is checked against every row of ${table.display} under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole scan, and it cannot be NOT VALID there.`,
          help: `Add the column without it, then ADD CONSTRAINT ... CHECK (...) NOT VALID, and VALIDATE CONSTRAINT in a later transaction.`,
        });
        continue;
      }
      const constraint = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
      if (!constraint || constraint.skip_validation) continue;
      if (constraint.contype !== 'CONSTR_CHECK') continue;
      const start = s.offsetOf(constraint.location);
      const end = clauseEnd(s, start);
      const name = constraint.conname ? ` ${constraint.conname}` : '';
      context.report({
        statement: s,
        span: { start, end },
        message: `Adding CHECK constraint${name} scans all of ${table.display} under an ACCESS EXCLUSIVE lock: reads and writes wait until every row is checked.`,
        help: 'Add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction (validation does not block reads or writes).',
        fixes: notValidFixes(context, s, constraint, table),
      });
    }
  },
};
