import { bodyOf, relationOf } from '../sql/ast';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const constraintMissingNotValid: Rule = {
  id: 'constraint-missing-not-valid',
  family: 'locks',
  summary: 'ADD CONSTRAINT CHECK or FOREIGN KEY on an existing table without NOT VALID',
  defaultLevel: 'error',
  sameAs: ['squawk: constraint-missing-not-valid', 'pgfence: add-constraint-without-not-valid', 'strong_migrations: add_check_constraint / add_foreign_key'],
  fixable: true,
  docs: {
    why: 'Adding a CHECK constraint scans the whole table to validate every row while holding an ACCESS EXCLUSIVE lock (no reads, no writes). A FOREIGN KEY scans under SHARE ROW EXCLUSIVE on both tables (no writes to either). On a large table that is an outage.',
    instead: 'Add the constraint with `NOT VALID` (a brief lock, no scan; new rows are checked from then on), then `ALTER TABLE ... VALIDATE CONSTRAINT ...` in a later transaction: validation takes only SHARE UPDATE EXCLUSIVE, so traffic continues.',
    invalid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_total_positive;\n" },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;\n" },
    ],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\n\n-- migrate:down\nALTER TABLE orders DROP CONSTRAINT orders_total_positive;\n" },
      { sql: '-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n\n-- migrate:down\nDROP TABLE orders;\n', note: 'The table is new and empty: validation costs nothing.' },
    ],
  },
  check(context) {
    for (const s of context.statements) {
      const alter = bodyOf(s.node, 'AlterTableStmt');
      if (!alter) continue;
      const table = relationOf(alter.relation);
      if (!table || context.facts.createdEarlier(table, s)) continue;
      for (const c of alter.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        const constraint = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
        if (!constraint || constraint.skip_validation) continue;
        if (constraint.contype !== 'CONSTR_CHECK' && constraint.contype !== 'CONSTR_FOREIGN') continue;
        const isCheck = constraint.contype === 'CONSTR_CHECK';
        const start = s.offsetOf(constraint.location);
        const end = clauseEnd(s, start);
        const name = constraint.conname ? ` ${constraint.conname}` : '';
        context.report({
          statement: s,
          span: { start, end },
          message: isCheck
            ? `Adding CHECK constraint${name} scans all of ${table.display} under an ACCESS EXCLUSIVE lock: reads and writes wait until every row is checked.`
            : `Adding FOREIGN KEY${name} scans all of ${table.display} under a SHARE ROW EXCLUSIVE lock on it and on ${relationOf(constraint.pktable)?.display ?? 'the referenced table'}: writes to both wait until every row is checked.`,
          help: 'Add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction (validation does not block reads or writes).',
          fixes: [{ title: 'Add NOT VALID (validate in a later migration)', edits: [{ span: { start: end, end }, newText: ' NOT VALID' }], safe: false }],
        });
      }
    }
  },
};
