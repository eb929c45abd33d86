import { createdEarlierInSection } from '../context';
import { nonTransactionalEdit } from '../fixes/format-edits';
import { loopedDataChange } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

export const backfillInTransaction: Rule = {
  id: 'backfill-in-transaction',
  family: 'data',
  summary: "A batched backfill (a DO loop of data changes) that runs inside the migration's transaction",
  defaultLevel: 'warning',
  sameAs: ['strong_migrations: backfilling data (disable_ddl_transaction!)'],
  fixable: true,
  docs: {
    why: "Batching a backfill only helps when each batch commits: then its row locks are released, progress is kept, and vacuum can clean up behind it. Inside the transaction the migration tool opens (dbmate, goose, diesel, Flyway and Liquibase wrap each migration in one), all batches commit together at the end, so the loop holds every row lock it took, plus the locks of the migration's other statements, until the very end, and a failure rolls all of it back. A `COMMIT` inside the loop fails outright there (`invalid transaction termination`).\n\nA single whole-table UPDATE is reported by `unbatched-backfill`, inside a transaction or not.",
    instead: "Run the backfill in a migration (or section) that runs outside a transaction: dbmate `transaction:false`, goose `-- +goose NO TRANSACTION`, diesel `run_in_transaction = false`, Flyway `executeInTransaction=false`; commit after each batch, and make it idempotent so it can be re-run.",
    invalid: [
      {
        sql: "-- migrate:up\nDO $$\nDECLARE n bigint;\nBEGIN\n  LOOP\n    UPDATE users SET email_normalized = lower(email)\n    WHERE id IN (SELECT id FROM users WHERE email_normalized IS NULL LIMIT 5000);\n    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n  END LOOP;\nEND $$;\n\n-- migrate:down\nSELECT 1;\n",
      },
    ],
    valid: [
      {
        sql: "-- migrate:up transaction:false\nDO $$\nDECLARE n bigint;\nBEGIN\n  LOOP\n    UPDATE users SET email_normalized = lower(email)\n    WHERE id IN (SELECT id FROM users WHERE email_normalized IS NULL LIMIT 5000);\n    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n  END LOOP;\nEND $$;\n\n-- migrate:down transaction:false\nSELECT 1;\n",
      },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      const loop = loopedDataChange(s.node);
      if (!loop) continue;
      // Loops that only fill tables created earlier in the migration hold no lock anyone else waits for.
      if (loop.tables.every((t) => createdEarlierInSection(context.statements, s, { kind: 'table', name: t.name, schema: t.schema }))) continue;
      const facts = context.factsOf(s);
      if (!facts.inTransaction) continue;
      const fixes: FixSpec[] = [];
      // Outside the transaction, a loop without COMMIT is still one transaction (its DO block's): the
      // format switch alone fixes only a loop that commits its batches.
      if (!facts.explicitTransaction && loop.commits) {
        const edit = nonTransactionalEdit(context.document, s.section, context.host, context.facts.sectionStatements(s.section).length);
        const others = context.facts.sectionStatements(s.section).filter((o) => o !== s && o.kind !== 'VariableSetStmt');
        if (edit && edit.edits.length + (edit.creates?.length ?? 0) > 0) fixes.push({ title: edit.description.charAt(0).toUpperCase() + edit.description.slice(1), edits: edit.edits, creates: edit.creates, safe: others.length === 0 });
      }
      context.report({
        statement: s,
        span: headSpan(s),
        message: loop.commits
          ? `This backfill loop commits inside a transaction (${facts.transactionReason}): COMMIT in a DO block fails there ("invalid transaction termination").`
          : `This backfill loop over ${loop.tables.map((t) => t.display).join(', ')} runs inside a transaction (${facts.transactionReason}): all its iterations commit together at the end, so it holds every row lock it takes until then, and a failure undoes all of it.`,
        help: loop.commits ? 'Run the backfill outside a transaction (its own migration, marked non-transactional).' : 'Run the backfill outside a transaction (its own migration, marked non-transactional) and COMMIT after each batch in the loop.',
        fixes,
      });
    }
  },
};
