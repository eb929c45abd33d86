import { columnTypes, quoteIdent, typeNameOf } from '../sql/ast';
import { typeSpan } from '../sql/tokens';
import type { Rule } from './types';

export const preferTextField: Rule = {
  id: 'prefer-text-field',
  family: 'style',
  summary: "A varchar(n) column: the length limit lives in the type",
  defaultLevel: 'info',
  sameAs: ["squawk: prefer-text-field", "postgres-language-server: prefer-text-field", "pgfence: prefer-text-field"],
  fixable: true,
  docs: {
    why: "`varchar(n)` is `text` with a length check built into the type. Raising the limit is cheap on current versions but still takes an ACCESS EXCLUSIVE lock; lowering it rewrites the table. A `CHECK (char_length(col) <= n)` constraint says the same, and can be swapped for another with `NOT VALID` and `VALIDATE CONSTRAINT` without blocking traffic.",
    instead: "`text`, plus a CHECK constraint when the limit is a real rule.",
    invalid: [{ sql: "CREATE TABLE person (id bigint PRIMARY KEY, name varchar(255) NOT NULL);" }],
    valid: [{ sql: "CREATE TABLE person (id bigint PRIMARY KEY, name text NOT NULL CHECK (char_length(name) <= 255));" }],
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
        if (!t || t.schema !== undefined || !(t.name === 'varchar' && t.mods.length > 0 && !col.altered)) continue;
        const span = typeSpan(s, s.offsetOf(col.typeName.location));
        if (span.end <= span.start) continue;
        const where = `${col.table ? `${col.table.display}.` : ''}${quoteIdent(col.column)}`;
        context.report({
          statement: s,
          span,
          message: `${where} is varchar(${t.mods[0]}): changing that limit later is an ALTER COLUMN TYPE under an ACCESS EXCLUSIVE lock (a full rewrite when it shrinks).`,
          help: 'Use text, with a CHECK (char_length(...) <= n) if the limit matters: a CHECK can be replaced with NOT VALID and validated without blocking.',
          fixes: [{ title: 'Use text (drops the length limit)', edits: [{ span, newText: 'text' }], safe: false }],
        });
      }
    }
  },
};
