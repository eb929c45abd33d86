import { columnsAddedToExistingTables } from '../context';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const addingSerialColumn: Rule = {
  id: 'adding-serial-column',
  family: 'locks',
  summary: 'ADD COLUMN serial / bigserial / smallserial or GENERATED ... AS IDENTITY on an existing table',
  defaultLevel: 'error',
  sameAs: [
    'squawk: adding-serial-primary-key-field (its column half)',
    'postgres-language-server: addSerialColumn',
    'pgfence: add-column-serial',
    'strong_migrations: add_column_auto_incrementing',
    'Eugene: E11',
  ],
  docs: {
    why: 'A serial or identity column gets a value from its sequence for every existing row: PostgreSQL rewrites the whole table and rebuilds its indexes under ACCESS EXCLUSIVE. No reads, no writes until it is done.',
    instead:
      'Create a new table with the column and copy the rows over in batches (then swap the tables), or add a plain nullable column, attach a sequence as its default for new rows (`ALTER COLUMN ... SET DEFAULT nextval(...)`), and backfill existing rows in batches.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events ADD COLUMN seq bigserial;\n\n-- migrate:down\nALTER TABLE events DROP COLUMN seq;\n" }],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE events (payload jsonb);\nALTER TABLE events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;\n\n-- migrate:down\nDROP TABLE events;\n', note: 'The table is new and empty.' },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events ADD COLUMN seq bigint;\n\n-- migrate:down\nALTER TABLE events DROP COLUMN seq;\n" },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const added = columnsAddedToExistingTables(context);
    for (let i = 0; i < added.length; i++) {
      const { statement: s, table, column, shape } = added[i];
      if (!shape.serial && !shape.identity) continue;
      const start = s.offsetOf(column.location);
      const what = shape.serial ? shape.type?.name ?? 'serial' : 'an identity column';
      context.report({
        statement: s,
        span: { start, end: clauseEnd(s, start) },
        message: `ADD COLUMN ${shape.name} as ${what} fills every existing row from a sequence: ${table.display} and its indexes are rewritten under ACCESS EXCLUSIVE, blocking reads and writes until it is done.`,
        help: 'Add a plain nullable column with the sequence as its DEFAULT for new rows and backfill existing rows in batches, or build a new table and copy the rows over.',
      });
    }
  },
};
