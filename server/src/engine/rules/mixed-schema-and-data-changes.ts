import { lineNumberAt } from '../text/offsets';
import { createdEarlierInSection } from '../context';
import { splitHereFix } from '../fixes/follow-up';
import { retitled } from '../fixes/lazy';
import type { Statement } from '../model';
import { sameRelation, type RelationRef } from '../sql/ast';
import { alteredRelation, dataChangeTarget } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';

export const mixedSchemaAndDataChanges: Rule = {
  id: 'mixed-schema-and-data-changes',
  family: 'data',
  summary: 'One migration changes the schema of existing tables and the data of existing tables',
  defaultLevel: 'warning',
  fixable: true,
  sameAs: ['strong_migrations: backfilling data (its guide: backfill in a separate migration with disable_ddl_transaction!)'],
  docs: {
    why: "When a schema change and a data change share a transaction, each holds its locks for the other's whole duration: the ACCESS EXCLUSIVE lock of an ALTER TABLE stays held while the UPDATE rewrites rows (reads and writes of the table wait), and the row locks of the UPDATE stay held while later DDL queues for its lock. Outside a transaction the two still fail and get retried together, although a data change usually needs batching, progress and verification that a schema change does not.\n\nNot flagged: data written into tables created in the same migration (seeding a new lookup table), and schema changes that only create new objects.",
    instead: 'Put the data change in a migration of its own (expand, then backfill, then contract), and run backfills in batches outside a transaction.',
    invalid: [{ sql: "-- migrate:up\nALTER TABLE users ADD COLUMN email_normalized text;\nUPDATE users SET email_normalized = lower(email);\n\n-- migrate:down\nALTER TABLE users DROP COLUMN email_normalized;\n" }],
    valid: [
      { sql: "-- migrate:up\nCREATE TABLE plan (id bigint PRIMARY KEY, name text NOT NULL);\nINSERT INTO plan VALUES (1, 'free'), (2, 'pro');\n\n-- migrate:down\nDROP TABLE plan;\n", note: 'Seeding a table created in the same migration.' },
      { sql: "-- migrate:up\nUPDATE users SET email = lower(email) WHERE email <> lower(email);\n\n-- migrate:down\n-- nothing to undo\nSELECT 1;\n", note: 'A data-only migration.' },
    ],
  },
  check(context) {
    for (const section of context.document.sections) {
      if (section.kind !== 'up') continue;
      const list = context.facts.sectionStatements(section);
      const data = list.filter((s) => {
        const target = dataChangeTarget(s.node);
        return target !== undefined && !isCatalog(target.relation) && !createdEarlierInSection(context.statements, s, { kind: 'table', name: target.relation.name, schema: target.relation.schema });
      });
      if (data.length === 0) continue;
      const schema = list.filter((s) => {
        if (dataChangeTarget(s.node)) return false;
        const altered = alteredRelation(s.node);
        return altered !== undefined && !createdEarlierInSection(context.statements, s, { kind: 'table', name: altered.name, schema: altered.schema });
      });
      if (schema.length === 0) continue;
      const first = data[0];
      const ddl = nearest(schema, first);
      const target = dataChangeTarget(first.node)!;
      const shared = context.factsOf(first).inTransaction && context.factsOf(first).transactionId === context.factsOf(ddl).transactionId;
      const ddlLine = lineNumberAt(context.document.text, ddl.span.start);
      const altered = alteredRelation(ddl.node)!;
      const sameTable = sameRelation(altered, target.relation);
      context.report({
        statement: first,
        span: headSpan(first, first.offsetOf(target.relation.location)),
        message: shared
          ? sameTable
            ? `This ${target.verb} of ${target.relation.display} shares a transaction with the schema change of the same table on line ${ddlLine}: its lock stays held while every row is written, so traffic on ${target.relation.display} waits for the whole data change.`
            : `This ${target.verb} of ${target.relation.display} shares a transaction with the schema change of ${altered.display} on line ${ddlLine}: the locks each takes are held while the other runs, so traffic on both tables waits for the whole data change.`
          : `This migration changes data (${target.verb} of ${target.relation.display}) and the schema (line ${ddlLine}) together: a failure of either leaves the other half applied and re-run.`,
        help: 'Move the data change into its own migration, and batch it.',
        fixes: moveTrailingDataFix(context, list, first),
      });
    }
  },
};

function nearest(candidates: Statement[], to: Statement): Statement {
  return candidates.reduce((best, s) => (Math.abs(s.index - to.index) < Math.abs(best.index - to.index) ? s : best));
}


/** System catalogs (`UPDATE pg_index SET indisready = ...`) are not application data. */
function isCatalog(relation: RelationRef): boolean {
  return relation.schema === 'pg_catalog' || relation.schema === 'information_schema' || (relation.schema === undefined && relation.name.startsWith('pg_'));
}

/** When the data changes close the section (only data changes and settings from the first one on), they move to a migration of their own. */
function moveTrailingDataFix(context: RuleContext, list: readonly Statement[], first: Statement): FixSpec[] {
  const rest = list.filter((s) => s.index >= first.index);
  if (!rest.every((s) => dataChangeTarget(s.node) !== undefined || s.kind === 'VariableSetStmt')) return [];
  const fix = splitHereFix(context, first, 'the data change runs apart from the schema change, after it has committed.');
  return fix ? [retitled(fix, fix.title.replace(/^Split the migration here: move this statement( and the \d+ after it)?/, (_, more) => `Move the data change${more ? 's' : ''}`))] : [];
}
