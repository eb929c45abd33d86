import { schemaFactsOf } from '../context';
import { bodyOf, relationOf, stringOf, type RelationRef } from '../sql/ast';
import { headSpan } from '../sql/tokens';
import type { Rule } from './types';

export const banVacuumFull: Rule = {
  id: 'ban-vacuum-full',
  family: 'locks',
  summary: 'VACUUM FULL or CLUSTER: the table is rewritten under ACCESS EXCLUSIVE',
  defaultLevel: 'error',
  sameAs: ['squawk: prefer-repack', 'postgres-language-server: banVacuumFull', 'pgfence: vacuum-full', 'Eugene: E10'],
  docs: {
    why: '`VACUUM FULL` and `CLUSTER` copy the whole table into new files and rebuild every index, holding ACCESS EXCLUSIVE the whole time: no reads, no writes, for minutes to hours on a large table, and twice the disk space meanwhile.',
    instead: 'Use pg_repack (or pg_squeeze), which rebuilds the table while traffic continues and takes the exclusive lock only to swap the files; on PostgreSQL 19+, `REPACK (CONCURRENTLY)` does the same in core. Plain `VACUUM` (without FULL) reclaims space for reuse without blocking traffic.',
    invalid: [
      { sql: "SET lock_timeout = '5s';\nVACUUM FULL events;\n", path: '000051_compact_events.up.sql', files: { '000051_compact_events.down.sql': '' } },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nCLUSTER events USING events_created_at_idx;\n\n-- migrate:down\n" },
    ],
    valid: [{ sql: "SET lock_timeout = '5s';\nVACUUM (ANALYZE) events;\n", path: '000052_vacuum_events.up.sql', files: { '000052_vacuum_events.down.sql': '' } }],
  },
  check(context) {
    const repack = context.pgVersion >= 19 ? 'Use REPACK (CONCURRENTLY) (PostgreSQL 19+) or pg_repack' : 'Use pg_repack or pg_squeeze';
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const vacuum = bodyOf(s.node, 'VacuumStmt');
      if (vacuum?.is_vacuumcmd && (vacuum.options ?? []).some((o: any) => o.DefElem?.defname === 'full' && isOn(o.DefElem.arg))) {
        const tables: RelationRef[] = (vacuum.rels ?? []).map((r: any) => relationOf(r.VacuumRelation?.relation)).filter(Boolean);
        const live = tables.filter((t) => !schemaFactsOf(context).ownedByMigration(t, s));
        if (tables.length > 0 && live.length === 0) continue;
        const what = live.length > 0 ? live.map((t) => t.display).join(', ') : 'every table of the database';
        context.report({
          statement: s,
          span: headSpan(s),
          message: `VACUUM FULL rewrites ${what} and rebuilds the indexes under ACCESS EXCLUSIVE: reads and writes wait until the copy is done.`,
          help: `${repack}, which rebuilds the table while traffic continues; plain VACUUM reclaims space for reuse without blocking.`,
        });
      }
      const cluster = bodyOf(s.node, 'ClusterStmt');
      if (cluster) {
        const table = relationOf(cluster.relation);
        if (table && schemaFactsOf(context).ownedByMigration(table, s)) continue;
        context.report({
          statement: s,
          span: headSpan(s),
          message: `CLUSTER rewrites ${table ? table.display : 'every previously clustered table'} in index order and rebuilds the indexes under ACCESS EXCLUSIVE: reads and writes wait until the copy is done.`,
          help: `${repack}, which rebuilds the table while traffic continues (pg_repack --order-by keeps the CLUSTER ordering).`,
        });
      }
    }
  },
};

function isOn(arg: any): boolean {
  if (arg === undefined) return true;
  const text = stringOf(arg) ?? (arg.Integer ? String(arg.Integer.ival ?? 0) : undefined);
  return text === undefined || !['false', 'off', '0', 'no'].includes(text.toLowerCase());
}
