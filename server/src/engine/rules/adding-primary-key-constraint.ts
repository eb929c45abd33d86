import { columnsAddedToExistingTables, commandsOfExistingTables } from '../context';
import { uniqueIndexFixes } from '../fixes/constraints';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const addingPrimaryKeyConstraint: Rule = {
  id: 'adding-primary-key-constraint',
  family: 'locks',
  summary: 'ADD PRIMARY KEY (or an added column declared PRIMARY KEY) without USING INDEX on an existing table',
  defaultLevel: 'error',
  fixable: true,
  sameAs: ['squawk: adding-serial-primary-key-field', 'postgres-language-server: addingPrimaryKeyConstraint', 'pgfence: add-pk-without-using-index'],
  docs: {
    why: 'Adding a primary key builds its unique index under ACCESS EXCLUSIVE on the table, and checks the key columns for NULLs when they are not already NOT NULL: no reads, no writes until both are done.',
    instead:
      'Make the columns NOT NULL first (CHECK ... NOT VALID, VALIDATE, SET NOT NULL), build the index with `CREATE UNIQUE INDEX CONCURRENTLY`, then `ALTER TABLE ... ADD CONSTRAINT name PRIMARY KEY USING INDEX index_name`, which only changes the catalog.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events ADD PRIMARY KEY (id);\n\n-- migrate:down\nALTER TABLE events DROP CONSTRAINT events_pkey;\n" }],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_key;\n\n-- migrate:down\nALTER TABLE events DROP CONSTRAINT events_pkey;\n", note: 'The unique index was built CONCURRENTLY by an earlier migration.' },
      { sql: '-- migrate:up\nCREATE TABLE events (id bigint, payload jsonb);\nALTER TABLE events ADD PRIMARY KEY (id);\n\n-- migrate:down\nDROP TABLE events;\n', note: 'The table is new and empty.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const commands = commandsOfExistingTables(context);
    for (let i = 0; i < commands.length; i++) {
      const { statement: s, table, c } = commands[i];
      const cmd = c.AlterTableCmd;
      const constraint = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
      if (constraint?.contype === 'CONSTR_PRIMARY' && !constraint.indexname) {
        const start = s.offsetOf(constraint.location);
        context.report({
          statement: s,
          span: { start, end: clauseEnd(s, start) },
          message: `ADD PRIMARY KEY builds its index (and checks its columns for NULLs) under ACCESS EXCLUSIVE on ${table.display}: reads and writes wait until it is done.`,
          help: 'CREATE UNIQUE INDEX CONCURRENTLY on NOT NULL columns first, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX.',
          fixes: uniqueIndexFixes(context, s, constraint, table),
        });
      }
    }
    const added = columnsAddedToExistingTables(context);
    for (let i = 0; i < added.length; i++) {
      const { statement: s, table, shape } = added[i];
      if (shape.primaryKey.length === 0) continue;
      const start = s.offsetOf(shape.primaryKey[0].location);
      context.report({
        statement: s,
        span: { start, end: clauseEnd(s, start) },
        message: `ADD COLUMN ${shape.name} ... PRIMARY KEY fills the column for every row and builds the primary key index under ACCESS EXCLUSIVE on ${table.display}: reads and writes wait until it is done.`,
        help: 'Add the column, fill it in batches, CREATE UNIQUE INDEX CONCURRENTLY on it, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX.',
      });
    }
  },
};
