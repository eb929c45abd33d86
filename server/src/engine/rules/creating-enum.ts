import { bodyOf, namesOf, objectFromNames } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const creatingEnum: Rule = {
  id: 'creating-enum',
  family: 'style',
  summary: 'CREATE TYPE ... AS ENUM (opt-in)',
  defaultLevel: 'off',
  sameAs: ['postgres-language-server: creating-enum', 'Eugene: W13', 'pgfence: create-enum-type'],
  docs: {
    why: "An enum can only grow: PostgreSQL has no `ALTER TYPE ... DROP VALUE`, so removing or renaming the meaning of a value means rebuilding the type and rewriting every column that uses it, under an ACCESS EXCLUSIVE lock. Adding a value is cheap, but (before PostgreSQL 12) not inside a transaction. Many projects use enums happily, which is why this rule is off unless you turn it on.",
    instead: 'A lookup table with a foreign key (values can be added, retired and described), or a `text` column with a CHECK constraint (replaceable with NOT VALID + VALIDATE).',
    invalid: [{ sql: "CREATE TYPE post_status AS ENUM ('draft', 'published');" }],
    valid: [{ sql: "CREATE TABLE post_status (name text PRIMARY KEY);\nINSERT INTO post_status VALUES ('draft'), ('published');" }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'CreateEnumStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      if (s.section.kind === 'down') continue; // a down restores the old schema as it was
      const e = bodyOf(s.node, 'CreateEnumStmt');
      if (!e) continue;
      const name = objectFromNames(namesOf(e.typeName))?.display ?? 'the type';
      context.report({
        statement: s,
        span: headSpan(s),
        message: `Enum ${name} can only grow: removing or repurposing a value later means rebuilding the type and rewriting every column that uses it.`,
        help: 'Use a lookup table with a foreign key, or text with a CHECK constraint.',
      });
    }
  },
};
