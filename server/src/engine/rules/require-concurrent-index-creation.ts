import { schemaFactsOf } from '../context';
import { concurrentlyFixes } from '../fixes/concurrently';
import { bodyOf, relationOf } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

export const requireConcurrentIndexCreation: Rule = {
  id: 'require-concurrent-index-creation',
  family: 'locks',
  summary: 'CREATE INDEX on an existing table without CONCURRENTLY',
  defaultLevel: 'error',
  sameAs: ['squawk: require-concurrent-index-creation', 'postgres-language-server: requireConcurrentIndexCreation', 'pgfence: create-index-not-concurrent', 'strong_migrations: add_index', 'Eugene: E6'],
  fixable: true,
  docs: {
    why: 'A plain `CREATE INDEX` takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until the index is built, which on a large table means minutes of failed writes.',
    instead: '`CREATE INDEX CONCURRENTLY` builds the index while reads and writes continue (it takes SHARE UPDATE EXCLUSIVE). It cannot run inside a transaction, so the section must be marked non-transactional in the migration format (dbmate `transaction:false`, goose `NO TRANSACTION`). If it fails it leaves an INVALID index behind: drop it and retry, so write `IF NOT EXISTS` with care.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX users_email_idx ON users (email);\n\n-- migrate:down\nDROP INDEX users_email_idx;\n" }],
    valid: [
      { sql: '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY users_email_idx;\n', note: 'Alone in its `transaction:false` block: dbmate sends the block as one query string.' },
      { sql: '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n\n-- migrate:down\nDROP TABLE users;\n', note: 'The table is created in the same migration, so it is empty and nobody else can see it yet.' },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX IF NOT EXISTS events_at_idx ON ONLY events (at);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX IF EXISTS events_at_idx;\n",
        note: "ON ONLY a partitioned table: an invalid index on the parent alone, built in no time, the first step of indexing a partitioned table (each partition's index is then built CONCURRENTLY and attached with ALTER INDEX ... ATTACH PARTITION). CONCURRENTLY is refused on a partitioned table.",
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'IndexStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const index = bodyOf(s.node, 'IndexStmt');
      if (!index || index.concurrent) continue;
      // ON ONLY: the first step of indexing a partitioned table (an invalid index on the parent alone,
      // built in no time; each partition's index is then built CONCURRENTLY and attached). CONCURRENTLY
      // is refused there ("cannot create index on partitioned table concurrently").
      if (index.relation && index.relation.inh !== true) continue;
      const table = relationOf(index.relation);
      if (!table || schemaFactsOf(context).ownedByMigration(table, s)) continue;
      const indexWord = findWord(s, 'index');
      const fixes: FixSpec[] = indexWord ? concurrentlyFixes(context, s, { insertAt: indexWord.end, description: `create index ${index.idxname ?? `on ${table.name}`} concurrently` }) : [];
      context.report({
        statement: s,
        span: headSpan(s, s.offsetOf(index.relation?.location)),
        message: `CREATE INDEX takes a SHARE lock on ${table.display}: every write to it waits until the whole index is built.`,
        help: 'Use CREATE INDEX CONCURRENTLY, in a section that runs outside a transaction.',
        fixes,
      });
    }
  },
};
