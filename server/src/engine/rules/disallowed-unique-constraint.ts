import { columnsAddedToExistingTables, commandsOfExistingTables } from '../context';
import { uniqueIndexFixes } from '../fixes/constraints';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const disallowedUniqueConstraint: Rule = {
  id: 'disallowed-unique-constraint',
  family: 'locks',
  summary: 'ADD CONSTRAINT ... UNIQUE (or an inline UNIQUE on an added column) that builds its index under the table lock',
  defaultLevel: 'error',
  fixable: true,
  sameAs: ['squawk: disallowed-unique-constraint', 'postgres-language-server: disallowUniqueConstraint', 'pgfence: add-constraint-unique', 'strong_migrations: add_unique_constraint', 'Eugene: E7'],
  docs: {
    why: 'Adding a UNIQUE constraint builds its unique index while holding ACCESS EXCLUSIVE on the table: no reads, no writes for the whole build.',
    instead: 'Build the index first with `CREATE UNIQUE INDEX CONCURRENTLY` (outside a transaction), then attach it: `ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX index_name`, which only changes the catalog.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n\n-- migrate:down\nALTER TABLE users DROP CONSTRAINT users_email_key;\n" }],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;\n\n-- migrate:down\nALTER TABLE users DROP CONSTRAINT users_email_key;\n", note: 'The index was built CONCURRENTLY by an earlier migration.' },
      { sql: '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n\n-- migrate:down\nDROP TABLE users;\n', note: 'The table is new and empty.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const commands = commandsOfExistingTables(context);
    for (let i = 0; i < commands.length; i++) {
      const { statement: s, table, c } = commands[i];
      const cmd = c.AlterTableCmd;
      const constraint = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
      if (constraint?.contype === 'CONSTR_UNIQUE' && !constraint.indexname) {
        const start = s.offsetOf(constraint.location);
        context.report({
          statement: s,
          span: { start, end: clauseEnd(s, start) },
          message: `Adding UNIQUE constraint${constraint.conname ? ' ' + constraint.conname : ''} builds its index under ACCESS EXCLUSIVE on ${table.display}: reads and writes wait for the whole build.`,
          help: 'CREATE UNIQUE INDEX CONCURRENTLY first (outside a transaction), then ADD CONSTRAINT ... UNIQUE USING INDEX.',
          fixes: uniqueIndexFixes(context, s, constraint, table),
        });
      }
    }
    const added = columnsAddedToExistingTables(context);
    for (let i = 0; i < added.length; i++) {
      const { statement: s, table, shape } = added[i];
      if (shape.unique.length === 0) continue;
      const start = s.offsetOf(shape.unique[0].location);
      context.report({
        statement: s,
        span: { start, end: clauseEnd(s, start) },
        message: `ADD COLUMN ${shape.name} ... UNIQUE builds a unique index over every row of ${table.display} under ACCESS EXCLUSIVE: reads and writes wait for the whole build.`,
        help: 'Add the column without UNIQUE, CREATE UNIQUE INDEX CONCURRENTLY on it, then ADD CONSTRAINT ... UNIQUE USING INDEX.',
      });
    }
  },
};
