import { schemaFactsOf } from '../context';
import { concurrentlyFixes } from '../fixes/concurrently';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan, statementTokens, tokenIndexAt, tokenText } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

export const requireConcurrentPartitionDetach: Rule = {
  id: 'require-concurrent-partition-detach',
  family: 'locks',
  summary: 'DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+)',
  defaultLevel: 'error',
  sameAs: ['squawk: require-concurrent-partition-detach', 'postgres-language-server: requireConcurrentDetachPartition', 'pgfence: detach-partition'],
  fixable: true,
  docs: {
    why: '`ALTER TABLE parent DETACH PARTITION child` takes ACCESS EXCLUSIVE on the parent and on the partition: every query on the partitioned table waits, and while the lock waits for running queries, everything arriving after it queues too.',
    instead:
      '`DETACH PARTITION ... CONCURRENTLY` (PostgreSQL 14+) takes SHARE UPDATE EXCLUSIVE and waits for queries that still see the partition, so reads and writes continue. It cannot run inside a transaction block, cannot be combined with other ALTER TABLE actions, and is not allowed when the table has a default partition. If it is interrupted, finish it with `ALTER TABLE ... DETACH PARTITION ... FINALIZE`. Unlike the plain form, it leaves a CHECK constraint on the detached table that duplicates its partition bound (PostgreSQL names it, e.g. `events_2023_at_check`): harmless, and it lets an `ATTACH PARTITION` back (a down) skip its scan; drop it when the table will not be attached again.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events DETACH PARTITION events_2023;\n\n-- migrate:down\nALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n" }],
    valid: [
      { sql: "-- migrate:up transaction:false\nALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;\n\n-- migrate:down\nALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n" },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events DETACH PARTITION events_2023;\n\n-- migrate:down\n", pgVersion: 13, note: 'PostgreSQL 13 has no DETACH PARTITION CONCURRENTLY.' },
    ],
  },
  check(context) {
    if (context.pgVersion < 14) return;
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterTableStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const alter = bodyOf(s.node, 'AlterTableStmt');
      if (!alter) continue;
      const cmds = alter.cmds ?? [];
      // Whether it detaches anything first: that is cheap, whether the migration owns the table is not.
      if (!cmds.some((c: any) => c.AlterTableCmd?.subtype === 'AT_DetachPartition' && !c.AlterTableCmd.def?.PartitionCmd?.concurrent)) continue;
      const parent = relationOf(alter.relation);
      if (!parent || schemaFactsOf(context).ownedByMigration(parent, s)) continue;
      for (const c of cmds) {
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype !== 'AT_DetachPartition' || cmd.def?.PartitionCmd?.concurrent) continue;
        const partition = relationOf(cmd.def?.PartitionCmd?.name);
        const fixes: FixSpec[] = [];
        const end = partition ? nameEnd(s, s.offsetOf(partition.location)) : undefined;
        if (end !== undefined && cmds.length === 1) {
          // Not applied without review: DETACH ... CONCURRENTLY fails on a table with a default partition.
          fixes.push(...concurrentlyFixes(context, s, { insertAt: end, description: `detach partition ${partition!.name} concurrently`, safe: false }));
        }
        context.report({
          statement: s,
          span: headSpan(s, partition ? s.offsetOf(partition.location) : undefined),
          message: `DETACH PARTITION takes ACCESS EXCLUSIVE on ${parent.display} and ${partition?.display ?? 'the partition'}: every query on the partitioned table waits, and queues behind it while it waits for running queries.`,
          help: `Use DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), alone in its ALTER TABLE, in a section that runs outside a transaction${cmds.length > 1 ? '; move the other actions of this statement to their own ALTER TABLE' : ''}.`,
          fixes,
        });
      }
    }
  },
};

/** The end of a possibly qualified name starting at `offset` (schema . name). */
function nameEnd(s: Parameters<typeof statementTokens>[0], offset: number): number | undefined {
  const tokens = statementTokens(s);
  let i = tokenIndexAt(s, offset);
  if (i < 0 || i >= tokens.length) return undefined;
  let end = tokens[i].end;
  while (i + 2 < tokens.length && tokenText(s, tokens[i + 1]) === '.' && tokens[i + 1].start === end) {
    end = tokens[i + 2].end;
    i += 2;
  }
  return end;
}
