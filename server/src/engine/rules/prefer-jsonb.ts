import { columnTypes, quoteIdent, typeNameOf } from '../sql/ast';
import { typeSpan } from '../sql/tokens';
import type { Rule } from './types';

export const preferJsonb: Rule = {
  id: 'prefer-jsonb',
  family: 'style',
  summary: "A json column instead of jsonb",
  defaultLevel: 'info',
  sameAs: ["postgres-language-server: prefer-jsonb", "Eugene: E3", "strong_migrations: add_column_json"],
  fixable: true,
  docs: {
    why: "`json` stores the document as text: no equality operator (queries using `DISTINCT`, `GROUP BY` or `UNION` over the row fail with `could not identify an equality operator for type json`), no GIN indexing, and a re-parse on every access. `jsonb` stores a parsed binary form. Keep `json` only when the exact text (key order, duplicate keys, whitespace) must be preserved.",
    instead: "`jsonb`.",
    invalid: [{ sql: "CREATE TABLE webhook (id bigint PRIMARY KEY, payload json NOT NULL);" }],
    valid: [{ sql: "CREATE TABLE webhook (id bigint PRIMARY KEY, payload jsonb NOT NULL);" }],
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
        if (!t || t.schema !== undefined || !(t.name === 'json')) continue;
        const span = typeSpan(s, s.offsetOf(col.typeName.location));
        if (span.end <= span.start) continue;
        const where = `${col.table ? `${col.table.display}.` : ''}${quoteIdent(col.column)}`;
        context.report({
          statement: s,
          span,
          message: `${where} is json: it keeps the text as written, has no equality operator (SELECT DISTINCT, GROUP BY and UNION on it fail), cannot be GIN-indexed, and is parsed again on every access.`,
          help: 'Use jsonb.',
          fixes: [{ title: 'Use jsonb', edits: [{ span, newText: 'jsonb' }], safe: false }],
        });
      }
    }
  },
};
