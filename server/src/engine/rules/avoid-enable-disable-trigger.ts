import { alterationsOfExistingTables, schemaFactsOf } from '../context';
import { shortLockTimeoutFix } from '../fixes/timeouts';
import { parseDuration } from '../config/config';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

const TRIGGER_SUBTYPES = new Set(['AT_EnableTrig', 'AT_EnableAlwaysTrig', 'AT_EnableReplicaTrig', 'AT_EnableTrigAll', 'AT_EnableTrigUser', 'AT_DisableTrig', 'AT_DisableTrigAll', 'AT_DisableTrigUser']);

export const avoidEnableDisableTrigger: Rule = {
  id: 'avoid-enable-disable-trigger',
  family: 'locks',
  summary: 'ALTER TABLE ... ENABLE / DISABLE TRIGGER on an existing table with no short lock_timeout in force',
  defaultLevel: 'warning',
  fixable: true,
  sameAs: ['postgres-language-server: banEnableDisableTrigger (was avoidEnableDisableTrigger)', 'pgfence: enable-disable-trigger'],
  docs: {
    why: 'Enabling or disabling a trigger takes SHARE ROW EXCLUSIVE on the table: writes wait while it holds the lock, and queue behind it while it waits for running transactions. `DISABLE TRIGGER ALL` also switches off the triggers that enforce foreign keys.',
    instead: "Set a short `lock_timeout` before it (`SET lock_timeout = '5s';`) and retry the migration when it times out. Not flagged when a lock_timeout no longer than `maxLockTimeout` is in force.",
    invalid: [{ sql: "-- migrate:up\nALTER TABLE orders DISABLE TRIGGER orders_audit;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE orders ENABLE TRIGGER orders_audit;\n" }],
    valid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders DISABLE TRIGGER orders_audit;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE orders ENABLE TRIGGER orders_audit;\n" }],
  },
  check(context) {
    const max = parseDuration(context.config.maxLockTimeout);
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const alterations = alterationsOfExistingTables(context);
    for (let i = 0; i < alterations.length; i++) {
      const { statement: s, alter, table } = alterations[i];
      const cmd = (alter.cmds ?? []).map((c: any) => c.AlterTableCmd).find((c: any) => TRIGGER_SUBTYPES.has(c?.subtype));
      if (!cmd) continue;
      // The transaction already holds the lock (DISABLE TRIGGER ALL ... ENABLE TRIGGER ALL): no new wait.
      if (schemaFactsOf(context).lockHeldBefore(table, 'SHARE ROW EXCLUSIVE', s, context.pgVersion)) continue;
      const timeout = context.factsOf(s).lockTimeout;
      if (timeout?.ms !== undefined && timeout.ms > 0 && (max === undefined || timeout.ms <= max)) continue;
      const verb = String(cmd.subtype).startsWith('AT_Enable') ? 'ENABLE' : 'DISABLE';
      const all = cmd.subtype === 'AT_DisableTrigAll' || cmd.subtype === 'AT_EnableTrigAll';
      context.report({
        statement: s,
        span: headSpan(s),
        message: `${verb} TRIGGER takes SHARE ROW EXCLUSIVE on ${table.display}${timeout ? ` with lock_timeout ${timeout.ms === 0 ? '0 (wait forever)' : `at ${timeout.text}`}` : ' with no lock_timeout'}: writes wait for it, and queue behind it while it waits for running transactions.${all && verb === 'DISABLE' ? ' DISABLE TRIGGER ALL also stops foreign-key checks.' : ''}`,
        help: `Set a short lock_timeout before it (SET lock_timeout = '${context.config.lockTimeout}';) and retry the migration on timeout.`,
        fixes: [shortLockTimeoutFix(context, s)],
      });
    }
  },
};
