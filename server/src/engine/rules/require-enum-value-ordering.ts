import { bodyOf, namesOf, objectFromNames } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const requireEnumValueOrdering: Rule = {
  id: 'require-enum-value-ordering',
  family: 'style',
  summary: 'ALTER TYPE ... ADD VALUE without BEFORE or AFTER (opt-in)',
  defaultLevel: 'off',
  sameAs: ['squawk: require-enum-value-ordering'],
  docs: {
    why: "Enum values sort in declaration order, and ADD VALUE without BEFORE or AFTER appends the new one at the end. When the order means something (`ORDER BY status`, comparisons like `status < 'shipped'`), that silently changes query results. Appending is what most projects want, so this rule is off unless you turn it on.",
    instead: "Say where the value goes: `ALTER TYPE order_status ADD VALUE 'packed' BEFORE 'shipped'`.",
    invalid: [{ sql: "ALTER TYPE order_status ADD VALUE 'packed';" }],
    valid: [{ sql: "ALTER TYPE order_status ADD VALUE 'packed' BEFORE 'shipped';" }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterEnumStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const e = bodyOf(s.node, 'AlterEnumStmt');
      if (!e || e.oldVal !== undefined || e.newVal === undefined || e.newValNeighbor !== undefined) continue;
      const name = objectFromNames(namesOf(e.typeName))?.display ?? 'the enum';
      context.report({
        statement: s,
        span: headSpan(s),
        message: `'${e.newVal}' is appended at the end of ${name}: enum values sort in declaration order, so ORDER BY and comparisons on it place the new value last.`,
        help: 'Add BEFORE or AFTER an existing value to choose its place.',
      });
    }
  },
};
