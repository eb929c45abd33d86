import { schemaFactsOf } from '../context';
import { concurrentlyFixes } from '../fixes/concurrently';
import { bodyOf, droppedObjects } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

export const requireConcurrentIndexDeletion: Rule = {
  id: 'require-concurrent-index-deletion',
  family: 'locks',
  summary: 'DROP INDEX without CONCURRENTLY',
  defaultLevel: 'error',
  sameAs: [
    'squawk: require-concurrent-index-deletion',
    'postgres-language-server: requireConcurrentIndexDeletion',
    'pgfence: drop-index-not-concurrent',
    'strong_migrations: remove_index',
  ],
  fixable: true,
  docs: {
    why: "`DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table. The drop itself is quick, but the lock has to wait for every query already running on the table, and every query that arrives meanwhile (reads included) queues behind it: one slow report query turns a catalog change into an outage.",
    instead: '`DROP INDEX CONCURRENTLY` waits for queries using the index to finish without blocking anyone (SHARE UPDATE EXCLUSIVE on the table). It cannot run inside a transaction block, drops one index per statement and takes no CASCADE, so the section must be marked non-transactional in the migration format.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nDROP INDEX users_email_idx;\n\n-- migrate:down\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n" }],
    valid: [
      { sql: '-- migrate:up transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n\n-- migrate:down transaction:false\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n' },
      {
        sql: '-- migrate:up\nCREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz);\nCREATE INDEX audit_at_idx ON audit (at);\nDROP INDEX audit_at_idx;\n\n-- migrate:down\nDROP TABLE audit;\n',
        note: 'The index was created earlier in the same migration: nobody uses it yet.',
      },
      {
        sql: "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down\nSET lock_timeout = '5s';\nDROP INDEX users_email_idx;\n",
        note: "A down that drops the index its up created undoes the up: the build is judged at the up's CREATE INDEX.",
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'DropStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const drop = bodyOf(s.node, 'DropStmt');
      if (drop?.removeType !== 'OBJECT_INDEX' || drop.concurrent) continue;
      const schema = schemaFactsOf(context);
      const indexes = droppedObjects(drop).filter((index) => {
        if (schema.indexCreatedBefore(index, s)) return false;
        // A down that drops an index its up created undoes the up: the up's CREATE INDEX is where the
        // build is judged, and the rollback mirrors it (require-lock-timeout still covers the wait).
        return !(s.section.kind === 'down' && schema.otherHalfIndexTable(index, s.section));
      });
      if (indexes.length === 0) continue;
      const fixes: FixSpec[] = [];
      const indexWord = findWord(s, 'index');
      if (indexWord && droppedObjects(drop).length === 1 && drop.behavior !== 'DROP_CASCADE') {
        fixes.push(...concurrentlyFixes(context, s, { insertAt: indexWord.end, description: `drop index ${indexes[0].name} concurrently` }));
      }
      const names = indexes.map((i) => i.display).join(', ');
      context.report({
        statement: s,
        span: headSpan(s),
        message: `DROP INDEX ${names} takes ACCESS EXCLUSIVE on its table: while it waits for running queries to finish, every read and write on the table queues behind it.`,
        help:
          droppedObjects(drop).length > 1 || drop.behavior === 'DROP_CASCADE'
            ? 'Drop each index with its own DROP INDEX CONCURRENTLY (it takes one index and no CASCADE), in a section that runs outside a transaction.'
            : 'Use DROP INDEX CONCURRENTLY, in a section that runs outside a transaction.',
        fixes,
      });
    }
  },
};
