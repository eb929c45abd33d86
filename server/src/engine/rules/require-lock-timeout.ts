import { schemaFactsOf } from '../context';
import { setEarlierInSection, timeoutFix } from '../fixes/timeouts';
import { describeBlocking, type LockMode, strongest, takenBlocksTraffic } from '../locks';
import type { Section, Statement } from '../model';
import type { RelationRef } from '../sql/ast';
import { headSpan } from '../sql/tokens';
import type { Rule, RuleContext } from './types';

export const requireLockTimeout: Rule = {
  id: 'require-lock-timeout',
  family: 'locks',
  summary: 'A statement that takes a traffic-blocking lock with no lock_timeout set before it',
  defaultLevel: 'warning',
  sameAs: ['squawk: require-lock-timeout (was require-timeout-settings)', 'postgres-language-server: lockTimeoutWarning', 'pgfence: missing-lock-timeout / lock-timeout-zero', 'Eugene: E9'],
  fixable: true,
  docs: {
    why: 'A statement waiting for a lock waits in a queue, and every query that arrives after it waits behind it. An ALTER TABLE stuck behind one long-running SELECT blocks all reads and writes on the table for as long as that SELECT runs. `lock_timeout` makes the migration give up (and be retried) instead of taking the application down.',
    instead: "Start the section with `SET lock_timeout = '5s';` (the value comes from `lockTimeout` in .zdm.json) and retry the migration when it times out.",
    invalid: [{ sql: "-- migrate:up\nALTER TABLE users ADD COLUMN nickname text;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN nickname;\n" }],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nickname text;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE users DROP COLUMN nickname;\n" },
      { sql: '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN nickname text;\n\n-- migrate:down\nDROP TABLE users;\n', note: 'Only a table this migration creates is touched: in the up nobody else can hold a lock on it yet, and the down only removes what the up added.' },
    ],
  },
  check(context) {
    const reported = new Set<Section>();
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (reported.has(s.section)) continue;
      const timeout = context.factsOf(s).lockTimeout;
      if (timeout && timeout.ms !== 0) continue;
      const lock = blockingLock(context, s);
      if (!lock) continue;
      reported.add(s.section);
      const value = context.config.lockTimeout;
      context.report({
        statement: s,
        span: headSpan(s),
        message: `${lock.label} takes ${lock.mode} on ${lock.object} with no lock_timeout set${timeout ? ' (it is 0: wait forever)' : ''}: while it waits for the lock, ${describeBlocking(lock.mode)} on ${lock.object} queue behind it.`,
        help: `Set lock_timeout ${setEarlierInSection(context, s, 'lock_timeout') ? 'before it' : 'at the top of the section'} (SET lock_timeout = '${value}';) so the migration fails fast and can be retried.`,
        // Where it was set (to 0) or reset earlier in the section, one at the top would be overridden.
        fixes: [timeoutFix(context, s, 'lock_timeout', value)],
      });
    }
  },
};

function blockingLock(context: RuleContext, s: Statement): { label: string; mode: LockMode; object: string } | undefined {
  const { facts, taken } = schemaFactsOf(context).locksOf(s, context.pgVersion);
  const ours = (object: RelationRef | undefined) => object !== undefined && schemaFactsOf(context).ownedByMigration(object, s);
  const relevant = taken.filter((t) => takenBlocksTraffic(t) && !ours(t.object));
  const mode = strongest(relevant.map((t) => t.mode));
  if (!mode) return undefined;
  const lock = relevant.find((t) => t.mode === mode)!;
  const fact = facts.find((f) => f.locks.some((l) => l.mode === mode && l.role === lock.role));
  return { label: fact?.label ?? s.kind, mode, object: lock.object?.display ?? `the ${lock.role}` };
}
