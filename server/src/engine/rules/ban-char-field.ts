import { columnTypes, quoteIdent, typeNameOf } from '../sql/ast';
import { typeSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banCharField: Rule = {
  id: 'ban-char-field',
  family: 'style',
  summary: "A char(n) / character(n) column",
  defaultLevel: 'info',
  sameAs: ["squawk: ban-char-field", "postgres-language-server: ban-char-field"],
  fixable: true,
  docs: {
    why: "`char(n)` pads every value with spaces up to n characters; the padding is ignored in some comparisons and not in others (LIKE, regular expressions, concatenation, client code), and it is stored, so it is no smaller or faster than `text`. (The internal single-byte type `\"char\"` is not flagged.)",
    instead: "`text`, or `varchar(n)` / a CHECK constraint when a maximum length is a real rule.",
    invalid: [{ sql: "CREATE TABLE country (code char(2) PRIMARY KEY, name text);" }],
    valid: [{ sql: "CREATE TABLE country (code text PRIMARY KEY CHECK (char_length(code) = 2), name text);" }],
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
        if (!t || t.schema !== undefined || !(t.name === 'bpchar')) continue;
        const span = typeSpan(s, s.offsetOf(col.typeName.location));
        if (span.end <= span.start) continue;
        const where = `${col.table ? `${col.table.display}.` : ''}${quoteIdent(col.column)}`;
        context.report({
          statement: s,
          span,
          message: `${where} is char(${t.mods[0] ?? 1}): values are padded with spaces to that length, which trips comparisons, length checks and ORMs, and saves nothing.`,
          help: 'Use text (with a CHECK constraint if the length matters).',
          fixes: [{ title: 'Use text', edits: [{ span, newText: 'text' }], safe: false }],
        });
      }
    }
  },
};
