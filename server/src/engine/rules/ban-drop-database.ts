import { bodyOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropDatabase: Rule = {
  id: 'ban-drop-database',
  family: 'breaking',
  summary: 'DROP DATABASE in a migration',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-drop-database', 'postgres-language-server: ban-drop-database', 'pgfence: drop-database'],
  docs: {
    why: 'DROP DATABASE deletes a whole database, irreversibly. It has no place in a migration that a tool runs against production; it cannot even run inside a transaction block.',
    instead: 'Drop databases by hand, as an operations procedure with its own review.',
    invalid: [{ sql: 'DROP DATABASE analytics;' }],
    valid: [{ sql: 'CREATE TABLE events (id bigint PRIMARY KEY);' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropdbStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const drop = bodyOf(s.node, 'DropdbStmt');
      if (!drop) continue;
      context.report({
        statement: s,
        span: headSpan(s),
        message: `DROP DATABASE ${drop.dbname ?? ''} deletes the whole database, irreversibly.`.replace('  ', ' '),
        help: 'Remove it from the migration; drop databases by hand.',
      });
    }
  },
};
