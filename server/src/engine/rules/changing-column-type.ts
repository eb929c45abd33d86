import { commandsOfExistingTables, schemaFactsOf } from '../context';
import { typeNameOf } from '../sql/ast';
import { typeChange, typeText } from '../sql/columns';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const changingColumnType: Rule = {
  id: 'changing-column-type',
  family: 'locks',
  summary: 'ALTER COLUMN ... TYPE that rewrites the table (binary-compatible changes are not flagged)',
  defaultLevel: 'error',
  sameAs: ['squawk: changing-column-type', 'postgres-language-server: changingColumnType', 'pgfence: alter-column-type', 'strong_migrations: change_column', 'Eugene: E5'],
  docs: {
    why: 'Changing a column to a type its values are not already valid in converts every row: PostgreSQL rewrites the table and rebuilds every index under ACCESS EXCLUSIVE, blocking reads and writes for as long as that takes. Running code may also break on the new type.',
    instead:
      "Binary-compatible changes are catalog-only and not flagged: varchar(n) → varchar(m ≥ n), varchar or text; text → varchar; numeric(p,s) → numeric(q ≥ p, s) or numeric; cidr → inet; timestamp(p) → timestamp(q ≥ p). zdm reads the column's current type from earlier statements of the migration, or from its other half (the down of a type change usually restores the old type); when it cannot see it and the new type is text or an unbounded varchar, it assumes a widening. For any other change, expand and contract: add a column of the new type, write to both and backfill in batches, switch reads, then drop the old column.",
    invalid: [
      {
        sql: "SET lock_timeout = '5s';\nALTER TABLE orders ALTER COLUMN quantity TYPE bigint;\n",
        path: '000042_orders_quantity_bigint.up.sql',
        files: { '000042_orders_quantity_bigint.down.sql': 'ALTER TABLE orders ALTER COLUMN quantity TYPE integer;\n' },
        note: 'The down restores integer, so the up converts integer to bigint: every row is rewritten.',
      },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name TYPE varchar(50);\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n",
        note: 'Narrowing checks every value against the new limit. (The down widens back, which is not flagged.)',
      },
      {
        sql: "SET lock_timeout = '5s';\nALTER TABLE orders ALTER COLUMN tag TYPE varchar(30) COLLATE \"C\";\n",
        path: '000002_orders_tag_collation.up.sql',
        files: {
          '000001_orders.up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, tag varchar(30));\nCREATE INDEX orders_tag_idx ON orders (tag);\n',
          '000001_orders.down.sql': 'DROP TABLE orders;\n',
          '000002_orders_tag_collation.down.sql': "SET lock_timeout = '5s';\nALTER TABLE orders ALTER COLUMN tag TYPE varchar(30) COLLATE \"default\";\n",
        },
        note: 'The same type with another collation: the table stays, but the index on tag is rebuilt under the lock.',
      },
    ],
    valid: [
      {
        sql: "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n",
        path: '000043_users_name_longer.up.sql',
        files: { '000043_users_name_longer.down.sql': 'ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\n' },
        note: 'The down restores varchar(100): varchar(100) → varchar(200) only raises the limit.',
      },
      {
        sql: "SET lock_timeout = '5s';\nALTER TABLE prices ALTER COLUMN amount TYPE numeric(14,2);\n",
        path: '000044_prices_precision.up.sql',
        files: { '000044_prices_precision.down.sql': 'ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,2);\n' },
        note: 'numeric(12,2) → numeric(14,2): more precision at the same scale, no rewrite.',
      },
      { sql: "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN bio TYPE text;\n", note: 'The current type is not in sight and the new type takes any text: zdm assumes a varchar widening.' },
    ],
  },
  check(context) {
    const schema = schemaFactsOf(context);
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const commands = commandsOfExistingTables(context);
    for (let i = 0; i < commands.length; i++) {
      const { statement: s, table, c } = commands[i];
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype !== 'AT_AlterColumnType' || !cmd.name) continue;
      const to = typeNameOf(cmd.def?.ColumnDef?.typeName);
      if (!to) continue;
      const from = schema.columnTypeBefore(table, cmd.name, s);
      const change = typeChange(from, to, { using: cmd.def?.ColumnDef?.raw_default, column: cmd.name, pgVersion: context.pgVersion, sessionTimeZoneUtc: schema.sessionTimeZoneUtcBefore(s) });
      const collate = cmd.def?.ColumnDef?.collClause;
      if (change.rewrite === 'no' && collate) {
        // The values stay, the order changes: measured, every index on the column is built again (new
        // relfilenode, a full scan) under ACCESS EXCLUSIVE, though the table is not rewritten.
        const at = s.offsetOf(cmd.def?.ColumnDef?.location ?? 0);
        context.report({
          statement: s,
          span: { start: s.span.start, end: clauseEnd(s, at) },
          message: `Changing the collation of ${table.display}.${cmd.name}: unless it is its collation already, every index on the column is rebuilt (the table read in full) under ACCESS EXCLUSIVE, blocking reads and writes until done.`,
          help: 'Build an index with the new collation CONCURRENTLY (CREATE INDEX CONCURRENTLY ... (col COLLATE "x")), switch the queries to it, then drop the old one; or expand and contract with a new column.',
        });
        continue;
      }
      if (change.rewrite === 'no') continue;
      // Unknown source, and the target takes any text: the common case is a widening of a varchar.
      if (change.rewrite === 'unknown' && !from && !to.array && (to.name === 'text' || (to.name === 'varchar' && to.mods.length === 0))) continue;
      const start = s.offsetOf(cmd.def?.ColumnDef?.location ?? 0);
      const column = `${table.display}.${cmd.name}`;
      const rewrite = `${table.display} is rewritten and its indexes rebuilt under ACCESS EXCLUSIVE, blocking reads and writes until every row is converted`;
      const message =
        change.rewrite === 'yes'
          ? `Changing ${column} to ${typeText(to)}: ${change.reason}, so ${rewrite}.`
          : change.unless
            ? `Changing ${column} from ${typeText(from!)} to ${typeText(to)}: unless ${change.unless}, ${rewrite}.`
            : from
              ? `Changing ${column} from ${typeText(from)} to ${typeText(to)}: zdm cannot tell whether PostgreSQL converts it in place, and unless it does, ${rewrite}.`
              : `Changing ${column} to ${typeText(to)}: zdm cannot see its current type, and unless the change only raises a varchar or numeric limit, ${rewrite}.`;
      context.report({
        statement: s,
        span: { start: s.span.start, end: clauseEnd(s, start) },
        message,
        help:
          from?.name === 'timestamp' || from?.name === 'timestamptz'
            ? "Run it with the session TimeZone set to UTC (SET TimeZone = 'UTC'; PostgreSQL 12+ then skips the rewrite), or expand and contract: add a new column, backfill it in batches, switch reads, drop the old one."
            : 'Expand and contract: add a column of the new type, write to both and backfill it in batches, switch reads to it, then drop the old column.',
      });
    }
  },
};
