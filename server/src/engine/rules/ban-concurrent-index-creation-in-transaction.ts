import { nonTransactionalEdit } from '../fixes/format-edits';
import type { Statement } from '../model';
import { concurrentOperation, fineOutsideTransaction } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

export const banConcurrentIndexCreationInTransaction: Rule = {
  id: 'ban-concurrent-index-creation-in-transaction',
  family: 'locks',
  summary: 'A CONCURRENTLY operation inside a transaction',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-concurrent-index-creation-in-transaction', 'postgres-language-server: banConcurrentIndexCreationInTransaction', 'pgfence: concurrent-in-transaction'],
  fixable: true,
  docs: {
    why: '`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` and `DETACH PARTITION ... CONCURRENTLY` cannot run inside a transaction block: PostgreSQL stops the migration with "cannot run inside a transaction block". Most tools wrap each migration in a transaction unless told otherwise, and a multi-statement file sent as one query string (golang-migrate, Prisma) is one implicit transaction.',
    instead: "Mark the section non-transactional in the migration format (dbmate `-- migrate:up transaction:false`, goose `-- +goose NO TRANSACTION`, diesel `run_in_transaction = false`, Flyway `executeInTransaction=false`, Liquibase `runInTransaction:false`), or put the statement in a migration file of its own.",
    invalid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down\nDROP INDEX IF EXISTS users_email_idx;\n" },
      { sql: "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n", path: '000003_users_email_idx.up.sql', files: { '000003_users_email_idx.down.sql': 'DROP INDEX CONCURRENTLY users_email_idx;\n' }, note: 'golang-migrate sends the file as one query string: two statements make an implicit transaction.' },
    ],
    valid: [
      { sql: "-- migrate:up transaction:false\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY users_email_idx;\n" },
      { sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n', path: '000003_users_email_idx.up.sql', files: { '000003_users_email_idx.down.sql': 'DROP INDEX CONCURRENTLY users_email_idx;\n' }, note: 'golang-migrate: a single statement is not in a transaction.' },
    ],
  },
  check(context) {
    for (const s of context.statements) {
      const operation = concurrentOperation(s.node);
      if (!operation) continue;
      const facts = context.factsOf(s);
      if (!facts.inTransaction) continue;
      const fixes: FixSpec[] = [];
      if (!facts.explicitTransaction) {
        const edit = nonTransactionalEdit(context.document, s.section, context.host);
        if (edit) {
          const others = context.facts.sectionStatements(s.section).filter((o) => o !== s && !fineOutsideTransaction(o.kind, o.node));
          fixes.push({ title: `Run outside a transaction: ${edit.description}`, edits: edit.edits, creates: edit.creates, safe: others.length === 0 });
        }
      }
      const where = facts.explicitTransaction ? 'the explicit BEGIN before it' : facts.transactionReason;
      context.report({
        statement: s,
        span: concurrentlySpan(s) ?? headSpan(s),
        message: `${operation} cannot run inside a transaction block, and this statement runs in one (${where}): the migration will fail.`,
        help: context.document.sections.length === 1 && s.section.transaction === 'implicit' ? 'Move it into a migration file of its own.' : 'Mark the section non-transactional in the migration format, or move the statement into a migration of its own.',
        fixes,
      });
    }
  },
};

function concurrentlySpan(s: Statement) {
  return findWord(s, 'concurrently');
}
