import { createdEarlierInSection } from '../context';
import { bodyOf, relationOf, type RelationRef } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banTruncateCascade: Rule = {
  id: 'ban-truncate-cascade',
  family: 'breaking',
  summary: 'TRUNCATE ... CASCADE',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-truncate-cascade', 'postgres-language-server: ban-truncate-cascade', 'pgfence: truncate-cascade'],
  docs: {
    why: 'CASCADE also truncates every table with a foreign key pointing at the named ones, and the tables pointing at those, recursively: it can empty much more of the database than the statement shows, each table under an ACCESS EXCLUSIVE lock.',
    instead: 'Name every table to empty explicitly (and consider deleting in batches instead). Without CASCADE, PostgreSQL refuses when other tables still reference the rows, which is the check you want.',
    invalid: [{ sql: 'TRUNCATE users CASCADE;' }],
    valid: [{ sql: 'CREATE TABLE staging (id bigint);\nCREATE TABLE staging_items (staging_id bigint REFERENCES staging (id));\nTRUNCATE staging, staging_items;' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'TruncateStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const truncate = bodyOf(s.node, 'TruncateStmt');
      if (!truncate || truncate.behavior !== 'DROP_CASCADE') continue;
      const relations: RelationRef[] = (truncate.relations ?? []).map((r: any) => relationOf(r.RangeVar)).filter((r: RelationRef | undefined) => r !== undefined);
      if (relations.length > 0 && relations.every((r) => createdEarlierInSection(context.statements, s, { kind: 'table', name: r.name, schema: r.schema }))) continue;
      const tables = relations.map((r) => r.display);
      const cascade = findWord(s, 'cascade');
      context.report({
        statement: s,
        span: cascade ? { start: s.span.start, end: cascade.end } : headSpan(s),
        message: `TRUNCATE ... CASCADE empties ${tables.join(', ')} and every table that references ${tables.length > 1 ? 'them' : 'it'}, recursively, each under an ACCESS EXCLUSIVE lock.`,
        help: 'Name each table to empty explicitly, without CASCADE.',
      });
    }
  },
};
