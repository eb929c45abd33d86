// The "add CONCURRENTLY" fix shared by the lock rules (CREATE/DROP INDEX, REINDEX, DETACH PARTITION):
// insert the keyword, and when the statement runs in a transaction the format wraps it in, make the
// section non-transactional in the file's own format. Inside an explicit BEGIN ... COMMIT there is no
// mechanical fix: the statement has to move out of the block.

import type { StatementFacts } from '../context';
import type { ProjectHost } from '../host';
import type { MigrationDocument, Statement, TextEdit } from '../model';
import type { FixSpec } from '../rules/types';
import { fineOutsideTransaction } from '../sql/classify';
import { nonTransactionalEdit } from './format-edits';

export interface ConcurrentlyFixInput {
  document: MigrationDocument;
  host: ProjectHost;
  statement: Statement;
  facts: StatementFacts;
  /** The other statements of the section (a section that also does other work is not safe to run outside a transaction without review). */
  sectionStatements: readonly Statement[];
  /** Where CONCURRENTLY goes: after INDEX, after the partition name, ... */
  insertAt: number;
  /** ' CONCURRENTLY' by default. */
  text?: string;
}

/** The fix, or undefined when there is none (explicit BEGIN, or a format that cannot say "no transaction"). */
export function addConcurrentlyFix(input: ConcurrentlyFixInput): FixSpec | undefined {
  const insert: TextEdit = { span: { start: input.insertAt, end: input.insertAt }, newText: input.text ?? ' CONCURRENTLY' };
  if (!input.facts.inTransaction) return { title: 'Add CONCURRENTLY', edits: [insert] };
  if (input.facts.explicitTransaction) return undefined;
  const edit = nonTransactionalEdit(input.document, input.statement.section, input.host);
  if (!edit) return undefined;
  const others = input.sectionStatements.filter((o) => o !== input.statement && !fineOutsideTransaction(o.kind, o.node));
  return { title: `Add CONCURRENTLY and ${edit.description}`, edits: [insert, ...edit.edits], creates: edit.creates, safe: others.length === 0 };
}
