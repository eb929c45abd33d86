import { removalIsOwnBusiness } from '../context';
import { schemaChanges, statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banDropTrigger: Rule = {
  id: 'ban-drop-trigger',
  family: 'breaking',
  summary: 'DROP TRIGGER of a trigger that is not re-created',
  defaultLevel: 'warning',
  sameAs: ['squawk: ban-drop-trigger', 'postgres-language-server: ban-drop-trigger'],
  docs: {
    why: "A trigger does work the running application relies on without calling it: it keeps counters, search columns or audit rows up to date. Once it is dropped, writes of the version still running silently stop doing that work, and the data drifts.\n\nNot flagged: a trigger re-created later in the same section, one created earlier in the migration, one on a table created in it, and a down that drops what its up created.",
    instead: 'Replace a trigger in the same migration (drop and create, or `CREATE OR REPLACE TRIGGER` on PostgreSQL 14+). Remove it only once no deployed version depends on its effect.',
    invalid: [{ sql: '-- migrate:up\nDROP TRIGGER post_aggregates_comment_count ON comment;\n\n-- migrate:down\nCREATE TRIGGER post_aggregates_comment_count AFTER INSERT ON comment FOR EACH ROW EXECUTE FUNCTION post_aggregates_comment_count();\n' }],
    valid: [
      {
        sql: '-- migrate:up\nDROP TRIGGER post_aggregates_comment_count ON comment;\nCREATE TRIGGER post_aggregates_comment_count AFTER INSERT OR DELETE ON comment FOR EACH ROW EXECUTE FUNCTION post_aggregates_comment_count();\n\n-- migrate:down\n',
        note: 'Re-created with new events in the same migration.',
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const dropped = schemaChanges(s.node).filter((c) => c.action === 'drop' && c.kind === 'trigger' && !removalIsOwnBusiness(context, s, c));
      if (dropped.length === 0) continue;
      context.report({
        statement: s,
        span: headSpan(s),
        message: `Dropping trigger ${dropped.map((c) => c.display).join(', ')} silently stops the work it did on every write, including the writes of the application version still running.`,
        help: 'Re-create it in the same migration, or drop it only once nothing depends on its effect.',
      });
    }
  },
};
