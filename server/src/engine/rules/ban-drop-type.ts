import { removalIsOwnBusiness } from '../context';
import { schemaChanges, statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropType: Rule = {
  id: 'ban-drop-type',
  family: 'breaking',
  summary: 'DROP TYPE or DROP DOMAIN of a type that is not re-created',
  defaultLevel: 'warning',
  sameAs: ['squawk: ban-drop-type', 'squawk: ban-drop-domain'],
  docs: {
    why: 'Casts, function signatures and application code that name the type (`$1::mood`, ORM enum mappings) fail once it is gone; with CASCADE, every column of that type is dropped with it, data included.\n\nNot flagged: the usual enum rebuild (rename the old type, create the new one, convert the columns, drop the old one), a type re-created later in the same section, one created earlier in the migration, and a down that drops what its up created.',
    instead: 'Remove a type only after no column, function or deployed code uses it, in a contract migration of its own.',
    invalid: [{ sql: "-- migrate:up\nDROP TYPE post_listing_mode;\n\n-- migrate:down\nCREATE TYPE post_listing_mode AS ENUM ('list', 'card');\n" }],
    valid: [
      {
        sql: "-- migrate:up\nALTER TYPE sort_type RENAME TO sort_type__;\nCREATE TYPE sort_type AS ENUM ('active', 'hot', 'new');\nALTER TABLE person ALTER COLUMN default_sort_type TYPE sort_type USING default_sort_type::text::sort_type;\nDROP TYPE sort_type__;\n\n-- migrate:down\n",
        note: 'The enum rebuild: the dropped type is the renamed old one.',
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const dropped = schemaChanges(s.node).filter((c) => c.action === 'drop' && c.kind === 'type' && !removalIsOwnBusiness(context, s, c));
      if (dropped.length === 0) continue;
      const cascade = dropped.some((c) => c.cascade);
      context.report({
        statement: s,
        span: headSpan(s),
        message: `Dropping type ${dropped.map((c) => c.display).join(', ')} breaks the casts, functions and application code that use it${cascade ? ', and CASCADE drops every column of that type with its data' : ''}.`,
        help: 'Drop a type only after nothing uses it, in its own contract migration.',
      });
    }
  },
};
