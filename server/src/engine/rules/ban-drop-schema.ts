import { removalIsOwnBusiness } from '../context';
import { schemaChanges, statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropSchema: Rule = {
  id: 'ban-drop-schema',
  family: 'breaking',
  summary: 'DROP SCHEMA of a schema that existed before this migration',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-drop-schema', 'postgres-language-server: ban-drop-schema', 'pgfence: drop-schema / drop-schema-cascade', 'Atlas: DS101'],
  docs: {
    why: 'With CASCADE, DROP SCHEMA deletes every table, view, function and type in it, data included; without it, it fails as soon as the schema holds anything. Either way it is not something a migration deployed under live traffic should do to a schema the application uses.\n\nNot flagged: a schema created earlier in the same migration, and a down that drops the schema its up created.',
    instead: 'Move or drop the objects one by one in contract migrations, then drop the empty schema.',
    invalid: [{ sql: '-- migrate:up\nDROP SCHEMA reporting CASCADE;\n\n-- migrate:down\nCREATE SCHEMA reporting;\n' }],
    valid: [{ sql: '-- migrate:up\nCREATE SCHEMA reporting;\n\n-- migrate:down\nDROP SCHEMA reporting CASCADE;\n', note: 'The down drops the schema its up created.' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const dropped = schemaChanges(s.node).filter((c) => c.action === 'drop' && c.kind === 'schema' && !removalIsOwnBusiness(context, s, c, { dataBearing: true }));
      if (dropped.length === 0) continue;
      const cascade = dropped.some((c) => c.cascade);
      context.report({
        statement: s,
        span: headSpan(s),
        message: cascade
          ? `DROP SCHEMA ${dropped.map((c) => c.display).join(', ')} CASCADE deletes every table, view and function in it, data included.`
          : `Dropping schema ${dropped.map((c) => c.display).join(', ')} breaks every query that names it (and fails if it still holds objects).`,
        help: 'Remove the objects in contract migrations first; drop the schema last, once nothing uses it.',
      });
    }
  },
};
