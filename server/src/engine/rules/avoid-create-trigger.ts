import { schemaFactsOf } from '../context';
import { shortLockTimeoutFix } from '../fixes/timeouts';
import { parseDuration } from '../config/config';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const avoidCreateTrigger: Rule = {
  id: 'avoid-create-trigger',
  family: 'locks',
  summary: 'CREATE TRIGGER on an existing table with no short lock_timeout in force',
  defaultLevel: 'warning',
  fixable: true,
  sameAs: ['postgres-language-server: banCreateTrigger (was avoidCreateTrigger)', 'pgfence: create-trigger'],
  docs: {
    why: '`CREATE TRIGGER` takes SHARE ROW EXCLUSIVE on the table: writes wait while it holds the lock, and while it waits for the lock behind a long-running transaction every write that arrives queues behind it. From then on the trigger runs on every write, so it also changes the cost of the application\'s writes.',
    instead: "Set a short `lock_timeout` before it (`SET lock_timeout = '5s';`) and retry the migration when it times out. Not flagged when a lock_timeout no longer than `maxLockTimeout` is in force.",
    invalid: [{ sql: '-- migrate:up\nCREATE TRIGGER orders_audit AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit_row();\n\n-- migrate:down\nDROP TRIGGER orders_audit ON orders;\n' }],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nCREATE TRIGGER orders_audit AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit_row();\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP TRIGGER orders_audit ON orders;\n" },
      { sql: '-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE TRIGGER orders_audit AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit_row();\n\n-- migrate:down\nDROP TABLE orders;\n', note: 'The table is new: nobody writes to it yet.' },
    ],
  },
  check(context) {
    const max = parseDuration(context.config.maxLockTimeout);
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'CreateTrigStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const trigger = bodyOf(s.node, 'CreateTrigStmt');
      const table = relationOf(trigger?.relation);
      if (!table || schemaFactsOf(context).ownedByMigration(table, s)) continue;
      // The transaction already holds the lock (DISABLE TRIGGER ALL ... ENABLE TRIGGER ALL): no new wait.
      if (schemaFactsOf(context).lockHeldBefore(table, 'SHARE ROW EXCLUSIVE', s, context.pgVersion)) continue;
      const timeout = context.factsOf(s).lockTimeout;
      if (timeout?.ms !== undefined && timeout.ms > 0 && (max === undefined || timeout.ms <= max)) continue;
      context.report({
        statement: s,
        span: headSpan(s, s.offsetOf(table.location)),
        message: `CREATE TRIGGER takes SHARE ROW EXCLUSIVE on ${table.display}${timeout ? ` with lock_timeout ${timeout.ms === 0 ? '0 (wait forever)' : `at ${timeout.text}`}` : ' with no lock_timeout'}: writes to ${table.display} wait for it, and queue behind it while it waits for running transactions.`,
        help: `Set a short lock_timeout before it (SET lock_timeout = '${context.config.lockTimeout}';) and retry the migration on timeout.`,
        fixes: [shortLockTimeoutFix(context, s)],
      });
    }
  },
};
