import { columnTypes, quoteIdent, typeNameOf } from '../sql/ast';
import { isKeyColumn } from '../sql/classify';
import { typeSpan } from '../sql/tokens';
import type { Rule, RuleContext } from './types';

export const preferBigintOverSmallint: Rule = {
  id: 'prefer-bigint-over-smallint',
  family: 'style',
  summary: "A 16-bit smallint key column (smallint, smallserial)",
  defaultLevel: 'info',
  sameAs: ["squawk: prefer-bigint-over-smallint", "postgres-language-server: prefer-bigint-over-smallint", "pgfence: prefer-bigint-over-int"],
  fixable: true,
  options: { allColumns: '`true`: flag every `smallint` column, not only keys.' },
  docs: {
    why: "A `smallint` key runs out at 32,767 values, and a type change later rewrites the table (and the tables referencing it) under an ACCESS EXCLUSIVE lock.\n\nBy default only key columns are flagged (see `prefer-bigint-over-int`); the option `allColumns` flags every smallint column.",
    instead: "Use `bigint` for keys; keep `smallint` for small bounded values that are not keys.",
    invalid: [{ sql: "CREATE TABLE plan (id smallserial PRIMARY KEY, name text);" }],
    valid: [{ sql: "CREATE TABLE plan (id bigint PRIMARY KEY, priority smallint NOT NULL);" }],
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
        if (!t || t.schema !== undefined || !((t.name === 'int2' || t.name === 'smallint' || t.name === 'smallserial' || t.name === 'serial2') && (allColumns(context) || isKeyColumn(s.node, col.column, t.name, col.constraints)))) continue;
        const span = typeSpan(s, s.offsetOf(col.typeName.location));
        if (span.end <= span.start) continue;
        const where = `${col.table ? `${col.table.display}.` : ''}${quoteIdent(col.column)}`;
        context.report({
          statement: s,
          span,
          message: `${where} is a 16-bit ${isKeyColumn(s.node, col.column, t.name, col.constraints) ? 'key' : 'column'}: it runs out at 32,767, and widening it later rewrites the table under an ACCESS EXCLUSIVE lock.`,
          help: 'Use bigint for keys.',
          fixes: [{ title: `Use ${t.name.includes('serial') ? 'bigserial' : 'bigint'}`, edits: [{ span, newText: t.name.includes('serial') ? 'bigserial' : 'bigint' }], safe: false }],
        });
      }
    }
  },
};

/** The `allColumns` option: flag every column of the type, not only keys. */
function allColumns(context: RuleContext): boolean {
  return context.options.allColumns === true;
}
