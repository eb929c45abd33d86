import { schemaFactsOf } from '../context';
import { concurrentlyFixes } from '../fixes/concurrently';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

const KIND_WORD: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'index',
  REINDEX_OBJECT_TABLE: 'table',
  REINDEX_OBJECT_SCHEMA: 'schema',
  REINDEX_OBJECT_DATABASE: 'database',
};

export const requireConcurrentReindex: Rule = {
  id: 'require-concurrent-reindex',
  family: 'locks',
  summary: 'REINDEX without CONCURRENTLY (PostgreSQL 12+)',
  defaultLevel: 'error',
  sameAs: ['squawk: require-concurrent-reindex', 'postgres-language-server: requireConcurrentReindex', 'pgfence: reindex-non-concurrent'],
  fixable: true,
  docs: {
    why: "`REINDEX` rebuilds the index under an ACCESS EXCLUSIVE lock on it and a SHARE lock on its table. Writes wait for the whole rebuild, and so do reads in practice: the planner opens every index of a table for every query, so a query on the table waits for the index it may not even use.",
    instead: '`REINDEX ... CONCURRENTLY` (PostgreSQL 12+) builds a new copy of the index beside the old one and swaps them, holding only SHARE UPDATE EXCLUSIVE: reads and writes continue. It cannot run inside a transaction block, so mark the section non-transactional. Before PostgreSQL 12 there is no concurrent REINDEX: build a new index concurrently, drop the old one concurrently, and rename.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nREINDEX INDEX users_email_idx;\n\n-- migrate:down\n" }],
    valid: [
      { sql: '-- migrate:up transaction:false\nREINDEX INDEX CONCURRENTLY users_email_idx;\n\n-- migrate:down\n' },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nREINDEX INDEX users_email_idx;\n\n-- migrate:down\n", pgVersion: 11, note: 'PostgreSQL 11 has no REINDEX CONCURRENTLY: nothing to switch to.' },
    ],
  },
  check(context) {
    if (context.pgVersion < 12) return;
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'ReindexStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const reindex = bodyOf(s.node, 'ReindexStmt');
      if (!reindex || !KIND_WORD[reindex.kind]) continue;
      if ((reindex.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently')) continue;
      const target = relationOf(reindex.relation);
      if (target && reindex.kind === 'REINDEX_OBJECT_TABLE' && schemaFactsOf(context).ownedByMigration(target, s)) continue;
      if (target && reindex.kind === 'REINDEX_OBJECT_INDEX' && schemaFactsOf(context).indexCreatedBefore(target, s)) continue;
      const word = KIND_WORD[reindex.kind];
      const kindToken = findWord(s, word);
      const fixes: FixSpec[] = [];
      if (kindToken) {
        fixes.push(...concurrentlyFixes(context, s, { insertAt: kindToken.end, description: `reindex ${target?.name ?? reindex.name ?? word} concurrently` }));
      }
      const what = target?.display ?? reindex.name ?? '';
      const message =
        reindex.kind === 'REINDEX_OBJECT_INDEX'
          ? `REINDEX INDEX ${what} rebuilds it under ACCESS EXCLUSIVE (and SHARE on its table): writes to the table wait for the rebuild, and so do reads, because the planner opens every index of the table.`
          : reindex.kind === 'REINDEX_OBJECT_TABLE'
            ? `REINDEX TABLE ${what} rebuilds every index of it, each under ACCESS EXCLUSIVE, with SHARE on the table: reads and writes on ${what} wait.`
            : `REINDEX ${word.toUpperCase()}${what ? ' ' + what : ''} rebuilds every index of every table in it, each under ACCESS EXCLUSIVE: reads and writes wait table by table.`;
      context.report({ statement: s, span: headSpan(s, target ? s.offsetOf(target.location) : undefined), message, help: 'Use REINDEX ... CONCURRENTLY, in a section that runs outside a transaction.', fixes });
    }
  },
};
