import { columnsAddedToExistingTables } from '../context';
import { namesOf, walk } from '../sql/ast';
import { volatilityOf } from '../sql/columns';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const addingFieldWithDefault: Rule = {
  id: 'adding-field-with-default',
  family: 'locks',
  summary: 'ADD COLUMN with a volatile DEFAULT (any DEFAULT before PostgreSQL 11), or GENERATED ... STORED, on an existing table',
  defaultLevel: 'error',
  sameAs: [
    'squawk: adding-field-with-default',
    'postgres-language-server: addingFieldWithDefault (and the GENERATED half of addSerialColumn)',
    'pgfence: add-column-non-constant-default / add-column-default-pre-pg11 / add-column-stored-generated',
    'strong_migrations: add_column_default / add_column_default_callable / add_column_generated_stored',
    'Eugene: E10 / E11',
  ],
  docs: {
    why: 'Since PostgreSQL 11 a constant or otherwise non-volatile DEFAULT is stored in the catalog and existing rows are left alone. A volatile default (random(), gen_random_uuid(), clock_timestamp(), a user function not declared STABLE or IMMUTABLE) has to be computed for every row, and a GENERATED ... STORED column is computed and stored for every row: PostgreSQL rewrites the whole table and its indexes under ACCESS EXCLUSIVE. Before 11 any non-NULL default does the same.',
    instead:
      'Add the column without the default, then `ALTER COLUMN ... SET DEFAULT ...` (applies to new rows only), and backfill existing rows in batches. For a generated column, add a plain column filled by a trigger for new rows plus a batched backfill; on PostgreSQL 18 a VIRTUAL generated column needs no rewrite.',
    invalid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN api_key uuid NOT NULL DEFAULT gen_random_uuid();\n\n-- migrate:down\nALTER TABLE users DROP COLUMN api_key;\n" },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\n\n-- migrate:down\nALTER TABLE users DROP COLUMN plan;\n", pgVersion: 10, note: 'Before PostgreSQL 11 even a constant default rewrites the table.' },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (quantity * unit_cents) STORED;\n\n-- migrate:down\nALTER TABLE orders DROP COLUMN total_cents;\n" },
    ],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\nALTER TABLE users ADD COLUMN joined_at timestamptz NOT NULL DEFAULT now();\n\n-- migrate:down\nALTER TABLE users DROP COLUMN joined_at, DROP COLUMN plan;\n", note: 'Constants and STABLE functions such as now() are evaluated once: no rewrite on PostgreSQL 11+.' },
      { sql: '-- migrate:up\nCREATE TABLE sessions (id bigint PRIMARY KEY);\nALTER TABLE sessions ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();\n\n-- migrate:down\nDROP TABLE sessions;\n', note: 'The table is new and empty.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const added = columnsAddedToExistingTables(context);
    for (let i = 0; i < added.length; i++) {
      const { statement: s, table, column, shape } = added[i];
      if (shape.serial || shape.identity) continue; // adding-serial-column
      const start = s.offsetOf(column.location);
      const span = { start, end: clauseEnd(s, start) };
      const rewrite = `${table.display} and its indexes are rewritten under ACCESS EXCLUSIVE, blocking reads and writes until every row is copied`;
      if (shape.generatedStored) {
        context.report({
          statement: s,
          span,
          message: `ADD COLUMN ${shape.name} GENERATED ... STORED computes and stores the value for every existing row: ${rewrite}.`,
          help: context.pgVersion >= 18 ? 'Use a VIRTUAL generated column (PostgreSQL 18: computed on read, no rewrite), or add a plain column filled by a trigger and a batched backfill.' : 'Add a plain column filled by a trigger for new rows and a batched backfill for existing ones.',
        });
        continue;
      }
      if (shape.defaultExpr === undefined) continue;
      const help = 'Add the column without a default, then SET DEFAULT (it applies to new rows only), and backfill existing rows in batches.';
      if (context.pgVersion < 11) {
        context.report({ statement: s, span, message: `Before PostgreSQL 11, ADD COLUMN ${shape.name} with a DEFAULT writes the default into every existing row: ${rewrite}.`, help });
        continue;
      }
      const volatility = volatilityOf(shape.defaultExpr);
      if (volatility === 'volatile') {
        context.report({ statement: s, span, message: `The DEFAULT of ${shape.name} is volatile (${calls(shape.defaultExpr)}), so it is computed for every existing row: ${rewrite}.`, help });
      } else if (volatility === 'unknown') {
        context.report({
          statement: s,
          span,
          message: `The DEFAULT of ${shape.name} calls ${calls(shape.defaultExpr) || 'an expression'}, which zdm does not know to be STABLE or IMMUTABLE; functions are VOLATILE unless declared otherwise, and a volatile default is computed for every existing row: ${rewrite}.`,
          help: `${help} If the function is STABLE or IMMUTABLE, declare it so and silence this finding.`,
        });
      }
    }
  },
};

function calls(expr: any): string {
  const names: string[] = [];
  walk(expr, (kind, body) => {
    if (kind === 'FuncCall') names.push(`${namesOf(body.funcname).join('.')}()`);
  });
  return [...new Set(names)].join(', ');
}
