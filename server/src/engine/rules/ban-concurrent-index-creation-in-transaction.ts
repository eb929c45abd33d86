import { moveOutOfTransaction, othersNeedTransaction } from '../fixes/concurrently';
import { nonTransactionalEdit } from '../fixes/format-edits';
import type { MigrationDocument, Statement } from '../model';
import type { Span } from '../text/offsets';
import { bodyOf, droppedObjects, relationOf } from '../sql/ast';
import { concurrentOperation } from '../sql/classify';
import { findWord, headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';
import { eolOf, lineBreakAfter, lineStartOf } from '../text/offsets';

export const banConcurrentIndexCreationInTransaction: Rule = {
  id: 'ban-concurrent-index-creation-in-transaction',
  family: 'locks',
  summary: 'A CONCURRENTLY operation inside a transaction',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-concurrent-index-creation-in-transaction', 'postgres-language-server: banConcurrentIndexCreationInTransaction', 'pgfence: concurrent-in-transaction'],
  fixable: true,
  docs: {
    why: '`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` and `DETACH PARTITION ... CONCURRENTLY` cannot run inside a transaction block: PostgreSQL stops the migration with "cannot run inside a transaction block". Most tools wrap each migration in a transaction unless told otherwise, and a multi-statement file sent as one query string (golang-migrate, Prisma) is one implicit transaction, as is a goose `StatementBegin`/`StatementEnd` block of several statements, even under `NO TRANSACTION`, and so are statements sharing a line in a goose migration (goose ends a statement only where a line ends with `;`, and sends `a; b;` as one query string). Flyway runs a script holding such a statement outside a transaction by itself, and golang-migrate run with `x-multi-statement=true` in its database URL sends each statement of the file alone (say so in .zdm.json with `"golangMigrate": { "multiStatement": true }`).',
    instead: "Mark the section non-transactional in the migration format (dbmate `-- migrate:up transaction:false`, goose `-- +goose NO TRANSACTION`, diesel `run_in_transaction = false`, Flyway `executeInTransaction=false`, Liquibase `runInTransaction:false`, golang-migrate `x-multi-statement=true` in the database URL, which cuts every file at each `;`), or put the statement in a migration file of its own.",
    invalid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down\nDROP INDEX IF EXISTS users_email_idx;\n" },
      { sql: "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n", path: '000003_users_email_idx.up.sql', files: { '000003_users_email_idx.down.sql': 'DROP INDEX CONCURRENTLY users_email_idx;\n' }, note: 'golang-migrate sends the file as one query string: two statements make an implicit transaction.' },
      { sql: "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n", path: '00003_users_email_idx.sql', note: 'goose sends a StatementBegin/StatementEnd block as one query string, even under NO TRANSACTION.' },
      { sql: "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s'; CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- +goose Down\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n", path: '00003_users_email_idx.sql', note: 'goose ends a statement only where a line ends with `;`: it sends the two statements of this line as one query string.' },
    ],
    valid: [
      { sql: '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY users_email_idx;\n', note: 'dbmate sends a `transaction:false` block as one query string: the statement is alone in it, so it runs outside a transaction.' },
      { sql: "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- +goose Down\nDROP INDEX CONCURRENTLY users_email_idx;\n", note: 'goose sends the statements of a NO TRANSACTION migration one at a time.' },
      { sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n', path: '000003_users_email_idx.up.sql', files: { '000003_users_email_idx.down.sql': 'DROP INDEX CONCURRENTLY users_email_idx;\n' }, note: 'golang-migrate: a single statement is not in a transaction.' },
      {
        sql: "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
        path: '000003_users_email_idx.up.sql',
        files: { '000003_users_email_idx.down.sql': 'DROP INDEX CONCURRENTLY users_email_idx;\n' },
        golangMigrateMultiStatement: true,
        note: 'golang-migrate with `x-multi-statement=true` in its database URL sends each statement alone.',
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const operation = concurrentOperation(s.node);
      if (!operation) continue;
      const facts = context.factsOf(s);
      if (!facts.inTransaction) continue;
      const fixes: FixSpec[] = [];
      const block = !facts.explicitTransaction && s.section.transaction === 'none' ? s.section.queryStrings?.find((q) => q.start <= s.span.start && s.span.end <= q.end) : undefined;
      if (block) {
        // A goose block of several statements, in a NO TRANSACTION section: the statement leaves the block.
        // (Other query strings, statements psql joins with `\;` or a Liquibase changeset sends between
        // two delimiters, have no block to leave.)
        const goose = context.document.format === 'goose';
        // The query string may start before the block's StatementBegin line (what goose held then goes with it).
        const inner = goose ? statementBlockOf(s, block) : undefined;
        const move = !goose ? undefined : inner ? moveOutOfBlock(s, inner) : splitLine(s, block, context.facts.sectionStatements(s.section));
        if (move) fixes.push(move);
      } else {
        const others = othersNeedTransaction(context, s);
        const edit = facts.explicitTransaction ? undefined : nonTransactionalEdit(context.document, s.section, context.host, context.facts.sectionStatements(s.section).length);
        if (edit) fixes.push({ title: `Run outside a transaction: ${edit.description}`, edits: edit.edits, creates: edit.creates, safe: !others });
        if (!edit || others) {
          const move = moveOutOfTransaction(context, s, { description: `${operation.toLowerCase()} ${objectName(s) ?? ''}`.trim() });
          if (move) fixes.push(move);
        }
      }
      const where = facts.explicitTransaction ? 'the explicit BEGIN before it' : facts.transactionReason;
      context.report({
        statement: s,
        span: concurrentlySpan(s) ?? headSpan(s),
        message: `${operation} cannot run inside a transaction block, and this statement runs in one (${where}): the migration will fail.`,
        help: block && context.document.format === 'goose' && !statementBlockOf(s, block) ? "Put it on a line of its own, with the statement before it ending its line with `;`: goose then sends it alone." : helpFor(context.document, s, block !== undefined),
        fixes,
      });
    }
  },
};

function helpFor(document: MigrationDocument, s: Statement, inQueryString: boolean): string {
  // Statements psql joins with `\;`, or a Liquibase changeset sends between two of its delimiters.
  if (inQueryString && document.format === 'sqitch') return 'End the statement before it with `;` rather than `\\;`: psql then sends it alone.';
  if (inQueryString && document.format === 'liquibase') return "Put the changeset's endDelimiter between it and the statements around it: Liquibase then sends it alone.";
  if (document.format === 'liquibase' && s.section.transaction === 'implicit') return 'Let Liquibase send it in a JDBC call of its own: split the changeset (no `splitStatements:false`), or move the statement into a changeset of its own.';
  if (document.sections.length === 1 && s.section.transaction === 'implicit') return 'Move it into a migration file of its own.';
  return 'Mark the section non-transactional in the migration format, or move the statement into a migration of its own.';
}

/**
 * Moves `s` (alone on its lines) from its goose StatementBegin/StatementEnd block to just after the
 * block, where goose sends it as a query string of its own. It then runs after the block's other
 * statements: offered, not applied by --fix.
 */
function moveOutOfBlock(s: Statement, block: Span): FixSpec | undefined {
  const text = s.section.source;
  const lineStart = lineStartOf(text, s.span.start);
  const lineBreak = lineBreakAfter(text, s.span.end);
  if (lineBreak.next === lineBreak.end || lineBreak.end >= block.end) return undefined;
  if (!/^[ \t]*$/.test(text.slice(lineStart, s.span.start)) || !/^[ \t]*$/.test(text.slice(s.span.end, lineBreak.end))) return undefined;
  const lineEnd = lineBreak.next;
  const eol = text.slice(lineBreak.end, lineBreak.next);
  return {
    title: 'Move it out of the StatementBegin/StatementEnd block (goose then sends it alone)',
    edits: [
      { span: { start: lineStart, end: lineEnd }, newText: '' },
      { span: { start: block.end, end: block.end }, newText: `${eol}${text.slice(s.span.start, s.span.end)}` },
    ],
    safe: false,
  };
}

/** The StatementBegin/StatementEnd block of the query string `span` that holds `s`, if any. */
function statementBlockOf(s: Statement, span: Span): Span | undefined {
  return s.section.statementBlocks?.find((b) => span.start <= b.start && b.end === span.end && b.start <= s.span.start && s.span.end <= b.end);
}

/**
 * Puts `s`, one of the statements goose sends as one query string because they share a line (or the
 * `;` ending one of them is not the last word of its line), on lines of its own: a line break after
 * the `;` of the statement before it, and after its own `;` when another follows, so that goose cuts
 * on both sides of it. The statements keep their order.
 */
function splitLine(s: Statement, joined: Span, statements: readonly Statement[]): FixSpec | undefined {
  const text = s.section.source;
  const group = statements.filter((t) => joined.start <= t.span.start && t.span.end <= joined.end);
  const at = group.indexOf(s);
  if (at === -1) return undefined;
  const eol = eolOf(text);
  const indent = /^[ \t]*/.exec(text.slice(lineStartOf(text, joined.start)))![0];
  const edits = [];
  for (const before of [group[at - 1], at + 1 < group.length ? s : undefined]) {
    if (!before || text[before.span.end - 1] !== ';') continue;
    const spaces = /^[ \t]*/.exec(text.slice(before.span.end))![0];
    edits.push({ span: { start: before.span.end, end: before.span.end + spaces.length }, newText: `${eol}${indent}` });
  }
  if (edits.length === 0) return undefined;
  return { title: 'Put it on a line of its own (goose then sends it alone)', edits, safe: true };
}

/** The index, table or partition the concurrent operation works on, for the new migration's name. */
function objectName(s: Statement): string | undefined {
  const index = bodyOf(s.node, 'IndexStmt');
  if (index) return index.idxname ?? relationOf(index.relation)?.name;
  const drop = bodyOf(s.node, 'DropStmt');
  if (drop) return droppedObjects(drop)[0]?.name;
  const reindex = bodyOf(s.node, 'ReindexStmt');
  if (reindex) return relationOf(reindex.relation)?.name ?? reindex.name;
  const alter = bodyOf(s.node, 'AlterTableStmt');
  const detach = (alter?.cmds ?? []).find((c: any) => c.AlterTableCmd?.subtype === 'AT_DetachPartition');
  return relationOf(detach?.AlterTableCmd?.def?.PartitionCmd?.name)?.name;
}

function concurrentlySpan(s: Statement) {
  return findWord(s, 'concurrently');
}
