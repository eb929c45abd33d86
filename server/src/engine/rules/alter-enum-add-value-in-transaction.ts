import { splitHereFix } from '../fixes/follow-up';
import { nonTransactionalEdit } from '../fixes/format-edits';
import type { Statement } from '../model';
import { bodyOf, namesOf, stringOf, walk } from '../sql/ast';
import { statementsOfKind } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';
import { lineNumberAt } from '../text/offsets';

export const alterEnumAddValueInTransaction: Rule = {
  id: 'alter-enum-add-value-in-transaction',
  family: 'locks',
  summary: 'ALTER TYPE ... ADD VALUE whose new value is used in the same transaction (or inside a transaction at all before PostgreSQL 12)',
  defaultLevel: 'error',
  fixable: true,
  sameAs: ['postgres-language-server: banAlterEnumAddValue', 'pgfence: alter-enum-add-value'],
  docs: {
    why: 'Before PostgreSQL 12, `ALTER TYPE ... ADD VALUE` cannot run inside a transaction block at all. Since 12 it can, but the new value cannot be used until that transaction commits: a later statement of the same transaction that uses it fails with "unsafe use of new value", and the whole migration rolls back.',
    instead: 'Put `ALTER TYPE ... ADD VALUE` in a migration of its own (or a non-transactional section) and use the value in the next migration.',
    invalid: [
      {
        sql: "-- migrate:up\nALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;\n\n-- migrate:down\n",
        note: 'dbmate runs the up block in one transaction.',
      },
      { sql: "-- migrate:up\nALTER TYPE order_status ADD VALUE 'refunded';\n\n-- migrate:down\n", pgVersion: 11, note: 'PostgreSQL 11: not allowed in a transaction block at all.' },
    ],
    valid: [
      { sql: "-- migrate:up\nALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';\n\n-- migrate:down\n", note: 'PostgreSQL 12+: adding the value in a transaction is fine when nothing in it uses the value.' },
      { sql: "-- +goose NO TRANSACTION\n-- +goose Up\nALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;\n\n-- +goose Down\n", note: 'goose sends the statements of a NO TRANSACTION migration one at a time: the ADD VALUE commits before the UPDATE runs. (A dbmate `transaction:false` block would not do: dbmate sends it as one query string, one implicit transaction.)' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const matching = statementsOfKind(context.statements, 'AlterEnumStmt');
    for (let i = 0; i < matching.length; i++) {
      const s = matching[i];
      const alter = bodyOf(s.node, 'AlterEnumStmt');
      if (!alter || alter.newVal === undefined || alter.oldVal !== undefined) continue;
      const facts = context.factsOf(s);
      if (!facts.inTransaction) continue;
      const typeName = namesOf(alter.typeName).join('.');
      if (createdInTransaction(context, s, namesOf(alter.typeName).pop() ?? '')) continue;
      if (context.pgVersion < 12) {
        context.report({
          statement: s,
          span: headSpan(s),
          message: `Before PostgreSQL 12, ALTER TYPE ${typeName} ADD VALUE cannot run inside a transaction block, and this statement runs in one (${facts.transactionReason}): the migration fails.`,
          help: 'Run it in a section outside a transaction, or in a migration of its own that is not wrapped in one.',
          fixes: outsideTransactionFix(context, s),
        });
        continue;
      }
      const use = context.statements.find((o) => o.index > s.index && o.section === s.section && context.factsOf(o).transactionId === facts.transactionId && usesValue(o, alter.newVal));
      if (!use) continue;
      const line = lineNumberAt(context.document.text, use.span.start);
      context.report({
        statement: s,
        span: headSpan(s),
        message: `'${alter.newVal}' is added to ${typeName} and used on line ${line} in the same transaction: PostgreSQL refuses it ("unsafe use of new value") until the ADD VALUE has committed, so the migration fails.`,
        help: 'Move ALTER TYPE ... ADD VALUE to a migration of its own (or a non-transactional section), and use the value in the next one.',
        fixes: optional(splitHereFix(context, use, `'${alter.newVal}' can be used only once the ALTER TYPE ${typeName} ADD VALUE before it has committed.`)),
      });
    }
  },
};

/** The enum was created earlier in the same transaction: its new values are usable at once. */
function createdInTransaction(context: RuleContext, s: Statement, name: string): boolean {
  const transaction = context.factsOf(s).transactionId;
  return context.statements.some((o) => o.index < s.index && o.section === s.section && context.factsOf(o).transactionId === transaction && namesOf(bodyOf(o.node, 'CreateEnumStmt')?.typeName).pop() === name);
}

/** A string constant equal to the value, or the value quoted in a DO block's body. */
function usesValue(s: Statement, value: string): boolean {
  if (bodyOf(s.node, 'CreateFunctionStmt')) return false; // a function body runs later, not now
  let found = false;
  walk(s.node, (kind, body) => {
    if (found) return false;
    if (kind === 'A_Const' && body.sval?.sval === value) found = true;
    if (kind === 'DoStmt') {
      const code = (body.args ?? []).map((a: any) => stringOf(a.DefElem?.arg) ?? '').join('\n');
      if (code.includes(`'${value.replace(/'/g, "''")}'`)) found = true;
    }
  });
  return found;
}

/** Before PostgreSQL 12: the section run outside a transaction, in the file's format (reviewed: its other statements lose their transaction). */
function outsideTransactionFix(context: RuleContext, s: Statement): FixSpec[] {
  if (context.factsOf(s).explicitTransaction) return [];
  const edit = nonTransactionalEdit(context.document, s.section, context.host, context.facts.sectionStatements(s.section).length);
  if (!edit || edit.edits.length + (edit.creates?.length ?? 0) === 0) return [];
  return [{ title: `Run outside a transaction: ${edit.description}`, edits: edit.edits, creates: edit.creates, safe: false }];
}

function optional<T>(fix: T | undefined): T[] {
  return fix ? [fix] : [];
}
