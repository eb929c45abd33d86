import { bodyOf, relationOf } from '../sql/ast';
import { headSpan, tokenIndexAt, statementTokens } from '../sql/tokens';
import type { Rule, RuleContext } from './types';

export const requireTableSchema: Rule = {
  id: 'require-table-schema',
  family: 'style',
  summary: 'CREATE TABLE or ALTER TABLE without a schema-qualified name (opt-in)',
  defaultLevel: 'off',
  sameAs: ['squawk: require-table-schema'],
  fixable: true,
  options: { schema: 'The schema the fix writes before an unqualified table name (default `public`).' },
  docs: {
    why: "An unqualified table name resolves through the session's `search_path`: the same migration can create or alter a table in different schemas depending on the role and settings it runs with. Projects with several schemas (or tools that set search_path) may want every name qualified; set the option `schema` to the one the fix writes (default `public`).",
    instead: 'Qualify the name: `CREATE TABLE app.users (...)`.',
    invalid: [{ sql: 'CREATE TABLE users (id bigint PRIMARY KEY);' }],
    valid: [{ sql: 'CREATE TABLE public.users (id bigint PRIMARY KEY);' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (s.section.kind === 'down') continue; // a down restores the old schema as it was
      const create = bodyOf(s.node, 'CreateStmt');
      const alter = bodyOf(s.node, 'AlterTableStmt');
      const rangeVar = create?.relation ?? (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE' ? alter.relation : undefined);
      const relation = relationOf(rangeVar);
      if (!relation || relation.schema !== undefined || rangeVar.relpersistence === 't') continue;
      const at = s.offsetOf(relation.location);
      const token = statementTokens(s)[tokenIndexAt(s, at)];
      context.report({
        statement: s,
        span: headSpan(s, at),
        message: `${relation.display} has no schema: it resolves through search_path, so where it lands depends on the session that runs the migration.`,
        help: `Qualify it: ${schemaOf(context)}.${relation.display}.`,
        fixes: token ? [{ title: `Qualify as ${schemaOf(context)}.${relation.display}`, edits: [{ span: { start: token.start, end: token.start }, newText: `${schemaOf(context)}.` }], safe: false }] : [],
      });
    }
  },
};

function schemaOf(context: RuleContext): string {
  return typeof context.options.schema === 'string' && context.options.schema !== '' ? context.options.schema : 'public';
}
