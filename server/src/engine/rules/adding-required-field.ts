import { columnsAddedToExistingTables } from '../context';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const addingRequiredField: Rule = {
  id: 'adding-required-field',
  family: 'locks',
  summary: 'ADD COLUMN ... NOT NULL without a DEFAULT on an existing table',
  defaultLevel: 'error',
  sameAs: ['squawk: adding-required-field', 'postgres-language-server: addingRequiredField', 'pgfence: add-column-not-null-no-default'],
  docs: {
    why: 'Every existing row would get NULL in the new column, which NOT NULL forbids: the statement fails as soon as the table has one row. In development the table is often empty, so this passes locally and breaks the deployment.',
    instead:
      'Give the column a non-volatile DEFAULT (on PostgreSQL 11+ it is stored in the catalog, no rewrite), or add it nullable, backfill it in batches, and add the NOT NULL afterwards (CHECK ... NOT VALID, VALIDATE, SET NOT NULL).',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text NOT NULL;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN plan;\n" }],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\n\n-- migrate:down\nALTER TABLE users DROP COLUMN plan;\n" },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN plan;\n" },
      { sql: '-- migrate:up\nCREATE TABLE plans (id bigint PRIMARY KEY);\nALTER TABLE plans ADD COLUMN name text NOT NULL;\n\n-- migrate:down\nDROP TABLE plans;\n', note: 'The table is new and empty.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const added = columnsAddedToExistingTables(context);
    for (let i = 0; i < added.length; i++) {
      const { statement: s, table, column, shape } = added[i];
      if (!shape.notNull || shape.defaultExpr !== undefined || shape.serial || shape.identity || shape.generatedStored || shape.generatedVirtual) continue;
      const start = s.offsetOf(column.location);
      context.report({
        statement: s,
        span: { start, end: clauseEnd(s, start) },
        message: `ADD COLUMN ${shape.name} ... NOT NULL has no DEFAULT: it fails as soon as ${table.display} has a row, because existing rows would be NULL.`,
        help: 'Add a non-volatile DEFAULT (PostgreSQL 11+ stores it without rewriting the table), or add the column nullable, backfill it, then add the NOT NULL.',
      });
    }
  },
};
