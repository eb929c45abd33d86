import { schemaFactsOf } from '../context';
import { splitHereFix } from '../fixes/follow-up';
import type { Statement } from '../model';
import { sameRelation, type RelationRef } from '../sql/ast';
import { headSpan } from '../sql/tokens';
import type { Rule, RuleContext } from './types';
import { lineNumberAt } from '../text/offsets';

export const wideLockWindow: Rule = {
  id: 'wide-lock-window',
  family: 'locks',
  summary: 'ACCESS EXCLUSIVE taken on more than one existing table in one transaction',
  defaultLevel: 'warning',
  fixable: true,
  sameAs: ['postgres-language-server: warnWideLockWindow (was avoidWideLockWindow)', 'pgfence: wide-lock-window'],
  docs: {
    why: 'Locks are held until the transaction ends. With ACCESS EXCLUSIVE on one table already held, the transaction then queues for the next table: while it waits behind a long-running query there, every query on the first table waits too, and both stay blocked until COMMIT. Two sessions locking the same tables in a different order deadlock. Tables and views the migration drops, and objects it creates, do not count.',
    instead: 'Change one table per migration (or per transaction), and keep a short `lock_timeout` so a wait for the second lock gives up quickly instead of holding the first one.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\nALTER TABLE accounts ADD COLUMN locale text;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE accounts DROP COLUMN locale;\n" }],
    valid: [
      { sql: "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN locale text;\nALTER TABLE accounts ADD COLUMN locale text;\n\n-- +goose Down\nALTER TABLE accounts DROP COLUMN locale;\nALTER TABLE users DROP COLUMN locale;\n", note: 'goose sends the statements of a NO TRANSACTION migration one at a time: each commits on its own. (A dbmate `transaction:false` block is one query string: one implicit transaction.)' },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE events DETACH PARTITION events_2020;\n\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE events ATTACH PARTITION events_2020 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n", note: 'One statement locks both tables: there is nothing to split.' },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nCREATE TABLE accounts (id bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN account_id bigint;\nALTER TABLE accounts ADD COLUMN locale text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN account_id;\nDROP TABLE accounts;\n", note: 'accounts is created by this migration: nobody else waits for it.' },
    ],
  },
  check(context) {
    const locked = new Map<number, { table: RelationRef; statement: Statement }[]>();
    const reported = new Set<number>();
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const transaction = context.factsOf(s).transactionId;
      if (transaction < 0 || reported.has(transaction)) continue;
      const list = locked.get(transaction) ?? [];
      for (const table of accessExclusiveTables(context, s)) {
        if (list.some((l) => sameRelation(l.table, table))) continue;
        list.push({ table, statement: s });
        // One statement that locks two tables (DETACH PARTITION: the parent and the partition) cannot be
        // split: only a later statement widens the window.
        if (list.length >= 2 && list[0].statement !== s) {
          reported.add(transaction);
          const first = list[0];
          const line = lineNumberAt(context.document.text, first.statement.span.start);
          context.report({
            statement: s,
            span: headSpan(s),
            message: `This takes ACCESS EXCLUSIVE on ${table.display} while the transaction already holds it on ${first.table.display} (line ${line}): both stay locked until COMMIT, and while this waits for ${table.display}, every query on ${first.table.display} waits too.`,
            help: 'Change one table per migration (or transaction), and keep a short lock_timeout so a wait for the second lock gives up quickly.',
            fixes: optional(splitHereFix(context, s, `each migration holds ACCESS EXCLUSIVE on one table at a time (${first.table.display} there, ${table.display} here).`)),
          });
          break;
        }
      }
      locked.set(transaction, list);
    }
  },
};

/** Dropped objects are gone at COMMIT: holding their lock blocks nothing the application still uses. */
const DROPS = new Set(['drop-table', 'drop-view', 'drop-materialized-view']);

function accessExclusiveTables(context: RuleContext, s: Statement): RelationRef[] {
  const schema = schemaFactsOf(context);
  const { taken } = schema.locksOf(s, context.pgVersion);
  const out: RelationRef[] = [];
  for (const t of taken) {
    if (t.mode !== 'ACCESS EXCLUSIVE' || !t.object || t.role === 'index' || t.role === 'type' || DROPS.has(t.fact)) continue;
    if (schema.ownedByMigration(t.object, s)) continue;
    if (!out.some((o) => sameRelation(o, t.object!))) out.push(t.object);
  }
  return out;
}

function optional<T>(fix: T | undefined): T[] {
  return fix ? [fix] : [];
}
