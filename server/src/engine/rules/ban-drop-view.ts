import { removalIsOwnBusiness } from '../context';
import { schemaChanges, statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropView: Rule = {
  id: 'ban-drop-view',
  family: 'breaking',
  summary: 'DROP VIEW or DROP MATERIALIZED VIEW of a view the application may read',
  defaultLevel: 'warning',
  sameAs: ['squawk: ban-drop-view'],
  docs: {
    why: "Queries of the running application version that read the view fail as soon as it is dropped. Dropping a view to re-create it with a new definition is common and fine when both happen in the same migration (the transaction hides the gap); dropping it for good is a contract step.\n\nNot flagged: a view re-created (or renamed into place) later in the same section, a view created earlier in the migration, and a down that drops what its up created.",
    instead: 'To change a view, use `CREATE OR REPLACE VIEW` (when only columns are added at the end) or drop and re-create it in the same transaction. To remove it, wait until no deployed version reads it.',
    invalid: [{ sql: '-- migrate:up\nDROP VIEW active_users;\n\n-- migrate:down\nCREATE VIEW active_users AS SELECT * FROM users WHERE deleted_at IS NULL;\n' }],
    valid: [
      { sql: "-- migrate:up\nDROP VIEW active_users;\nCREATE VIEW active_users AS SELECT id, email FROM users WHERE deleted_at IS NULL;\n\n-- migrate:down\nDROP VIEW active_users;\nCREATE VIEW active_users AS SELECT * FROM users WHERE deleted_at IS NULL;\n", note: 'Dropped and re-created in the same migration.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const dropped = schemaChanges(s.node).filter((c) => c.action === 'drop' && (c.kind === 'view' || c.kind === 'matview') && !removalIsOwnBusiness(context, s, c));
      if (dropped.length === 0) continue;
      const what = dropped[0].kind === 'matview' ? 'materialized view' : 'view';
      context.report({
        statement: s,
        span: headSpan(s),
        message: `Dropping ${what}${dropped.length > 1 ? 's' : ''} ${dropped.map((c) => c.display).join(', ')} breaks the queries of the running application that read ${dropped.length > 1 ? 'them' : 'it'}; this migration does not re-create ${dropped.length > 1 ? 'them' : 'it'}.`,
        help: 'Re-create it in the same migration, or drop it only after no deployed version reads it.',
      });
    }
  },
};
