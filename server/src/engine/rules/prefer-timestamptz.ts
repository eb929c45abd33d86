import { columnTypes, quoteIdent, typeNameOf } from '../sql/ast';
import { typeSpan } from '../sql/tokens';
import type { Rule } from './types';

export const preferTimestamptz: Rule = {
  id: 'prefer-timestamptz',
  family: 'style',
  summary: "A timestamp column without time zone",
  defaultLevel: 'info',
  sameAs: ["squawk: prefer-timestamptz (prefer-timestamp-tz)", "postgres-language-server: prefer-timestamptz", "pgfence: prefer-timestamptz"],
  fixable: true,
  docs: {
    why: "`timestamp` (without time zone) stores a date and a wall-clock time with no zone: a value written by a server in UTC and read by a client in another zone is silently off, daylight-saving changes create gaps and duplicates, and comparisons with `now()` (a timestamptz) convert using the session's zone. `timestamptz` stores an absolute instant.",
    instead: "`timestamptz` for points in time. Converting an existing column later is a rewrite (except on PostgreSQL 12+ when the session time zone is UTC).",
    invalid: [{ sql: "CREATE TABLE event (id bigint PRIMARY KEY, happened_at timestamp NOT NULL);" }],
    valid: [{ sql: "CREATE TABLE event (id bigint PRIMARY KEY, happened_at timestamptz NOT NULL);" }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (s.section.kind === 'down') continue; // a down restores the old schema as it was
      const columns = columnTypes(s.node);
      for (let j = 0; j < columns.length; j++) {
        const col = columns[j];
        const t = typeNameOf(col.typeName);
        if (!t || t.schema !== undefined || !(t.name === 'timestamp')) continue;
        const span = typeSpan(s, s.offsetOf(col.typeName.location));
        if (span.end <= span.start) continue;
        const where = `${col.table ? `${col.table.display}.` : ''}${quoteIdent(col.column)}`;
        context.report({
          statement: s,
          span,
          message: `${where} is timestamp without time zone: it stores wall-clock time, so its meaning changes with the time zone of whoever reads or writes it.`,
          help: 'Use timestamptz: it stores an instant and converts to each session\'s time zone.',
          fixes: [{ title: 'Use timestamptz', edits: [{ span, newText: t.mods.length > 0 ? `timestamptz(${t.mods[0]})` : 'timestamptz' }], safe: false }],
        });
      }
    }
  },
};
