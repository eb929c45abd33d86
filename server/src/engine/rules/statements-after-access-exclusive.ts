import { schemaFactsOf } from '../context';
import { splitHereFix } from '../fixes/follow-up';
import type { Statement } from '../model';
import { bodyOf, relationOf, type RelationRef } from '../sql/ast';
import { headSpan } from '../sql/tokens';
import type { Rule, RuleContext } from './types';
import { lineNumberAt } from '../text/offsets';

export const statementsAfterAccessExclusive: Rule = {
  id: 'statements-after-access-exclusive',
  family: 'locks',
  summary: 'A slow statement (scan, rewrite, backfill) in the same transaction after one that took ACCESS EXCLUSIVE on an existing table',
  defaultLevel: 'error',
  fixable: true,
  sameAs: ['postgres-language-server: runningStatementWhileHoldingAccessExclusive', 'pgfence: statement-after-access-exclusive', 'Eugene: E4'],
  docs: {
    why: 'Locks are held until the transaction ends. Once a statement has taken ACCESS EXCLUSIVE on a table, every query on that table waits until COMMIT, so everything the transaction does afterwards runs while the table is blocked. A quick catalog change is harmless; a backfill, an index build, a validation or a rewrite that follows turns a brief lock into an outage as long as that statement.',
    instead: 'Commit before the slow statement: put it in its own migration (or a non-transactional section), or run it first and take the ACCESS EXCLUSIVE lock last, right before COMMIT.',
    invalid: [
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN display_name text;\nUPDATE users SET display_name = name;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN display_name;\n",
        note: 'The backfill runs while users is locked ACCESS EXCLUSIVE by the ADD COLUMN.',
      },
    ],
    valid: [
      {
        sql: "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN display_name text;\nUPDATE users SET display_name = name;\n\n-- +goose Down\nALTER TABLE users DROP COLUMN display_name;\n",
        note: 'Outside a transaction the ADD COLUMN commits, and releases its lock, before the UPDATE starts.',
      },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN display_name text;\nALTER TABLE users ADD COLUMN locale text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN locale, DROP COLUMN display_name;\n",
        note: 'Catalog-only statements after the lock are quick.',
      },
    ],
  },
  check(context) {
    const held = new Map<number, { statement: Statement; table: RelationRef }>();
    const reported = new Set<number>();
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const transaction = context.factsOf(s).transactionId;
      if (transaction < 0 || reported.has(transaction)) continue;
      const holder = held.get(transaction);
      if (holder && holder.statement !== s) {
        const slow = slowWork(context, s);
        if (slow) {
          reported.add(transaction);
          const line = lineNumberAt(context.document.text, holder.statement.span.start);
          context.report({
            statement: s,
            span: headSpan(s),
            message: `${slow} while the ACCESS EXCLUSIVE lock on ${holder.table.display} taken on line ${line} is held until COMMIT: every query on ${holder.table.display} waits for this statement too.`,
            help: `Commit before it: move it to its own migration (or a non-transactional section), or take the ACCESS EXCLUSIVE lock on ${holder.table.display} last.`,
            fixes: optional(splitHereFix(context, s, `that migration commits, releasing its ACCESS EXCLUSIVE lock on ${holder.table.display}, before this slow work starts.`)),
          });
          continue;
        }
      }
      if (!holder) {
        const table = accessExclusiveOnExisting(context, s);
        if (table) held.set(transaction, { statement: s, table });
      }
    }
  },
};

/** A table the application uses: not made by this migration, not a system catalog. */
function existing(context: RuleContext, s: Statement, object: RelationRef | undefined): boolean {
  if (!object || object.schema === 'pg_catalog' || object.name.startsWith('pg_')) return false;
  return !schemaFactsOf(context).ownedByMigration(object, s);
}

/** Dropped objects are gone at COMMIT: holding their lock blocks nothing the application still uses. */
const DROPS = new Set(['drop-table', 'drop-view', 'drop-materialized-view']);

/** The existing table the statement locks ACCESS EXCLUSIVE, if any. */
function accessExclusiveOnExisting(context: RuleContext, s: Statement): RelationRef | undefined {
  const { taken } = schemaFactsOf(context).locksOf(s, context.pgVersion);
  return taken.find((t) => t.mode === 'ACCESS EXCLUSIVE' && t.role !== 'type' && t.role !== 'index' && !DROPS.has(t.fact) && existing(context, s, t.object))?.object;
}

/** What makes the statement slow on an existing table, for the message; undefined when it is quick. */
function slowWork(context: RuleContext, s: Statement): string | undefined {
  const { facts, taken } = schemaFactsOf(context).locksOf(s, context.pgVersion);
  for (const fact of facts) {
    if (!fact.scan && !fact.rewrite && !fact.rebuildsIndexes) continue;
    if (fact.id === 'update' || fact.id === 'delete' || fact.id === 'insert') continue;
    const object = taken.find((t) => t.fact === fact.id && t.role !== 'referenced table')?.object;
    if (object && !existing(context, s, object)) continue;
    const what = fact.rewrite ? 'rewrites' : fact.rebuildsIndexes ? 'rebuilds the indexes of' : 'reads all of';
    return `${fact.label} ${what} ${object?.display ?? 'the table'}`;
  }
  const update = bodyOf(s.node, 'UpdateStmt') ?? bodyOf(s.node, 'DeleteStmt');
  const target = relationOf(update?.relation);
  if (target && existing(context, s, target)) return `${bodyOf(s.node, 'UpdateStmt') ? 'UPDATE' : 'DELETE'} of ${target.display} runs`;
  const insert = bodyOf(s.node, 'InsertStmt');
  const source = insert?.selectStmt?.SelectStmt?.fromClause;
  if (insert && Array.isArray(source) && source.length > 0) return `INSERT INTO ${relationOf(insert.relation)?.display ?? 'a table'} ... SELECT runs`;
  const refresh = bodyOf(s.node, 'RefreshMatViewStmt');
  if (refresh && existing(context, s, relationOf(refresh.relation))) return `REFRESH MATERIALIZED VIEW ${relationOf(refresh.relation)?.display} runs`;
  return undefined;
}

function optional<T>(fix: T | undefined): T[] {
  return fix ? [fix] : [];
}
