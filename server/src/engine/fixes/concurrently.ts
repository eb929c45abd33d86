// The "add CONCURRENTLY" fixes shared by the lock rules (CREATE/DROP INDEX, REINDEX, DETACH PARTITION):
// insert the keyword, and when the statement runs in a transaction the format wraps it in, make the
// section non-transactional in the file's own format, in the same edit. When the section also holds
// statements that need the transaction (or the transaction is an explicit BEGIN ... COMMIT, or the
// format cannot run a section outside one), offer instead to move the statement, with CONCURRENTLY,
// into a new migration right after this one that runs outside a transaction.

import type { Statement, TextEdit } from '../model';
import type { FixSpec, RuleContext } from '../rules/types';
import { fineOutsideTransaction } from '../sql/classify';
import { followUpMigration } from './follow-up';
import { nonTransactionalEdit } from './format-edits';
import { lazyFix, retitled } from './lazy';
import { KeyedMemo } from '../memo';

export interface ConcurrentlyFixOptions {
  /** Where CONCURRENTLY goes: after INDEX, after the partition name, ... */
  insertAt: number;
  /** ' CONCURRENTLY' by default. */
  text?: string;
  /** What the new migration does, for its name ("create index users_email_idx concurrently"). */
  description: string;
  /** False when the concurrent form can fail where the plain one succeeds (DETACH with a default partition): never applied without review. */
  safe?: boolean;
}

/** The fixes for a statement that should run CONCURRENTLY; none when the statement sits in a down section inside an explicit transaction. */
export function concurrentlyFixes(context: RuleContext, s: Statement, options: ConcurrentlyFixOptions): FixSpec[] {
  const insert: TextEdit = { span: { start: options.insertAt, end: options.insertAt }, newText: options.text ?? ' CONCURRENTLY' };
  const safe = options.safe ?? true;
  const facts = context.factsOf(s);
  if (!facts.inTransaction) return [{ title: 'Add CONCURRENTLY', edits: [insert], safe }];
  const fixes: FixSpec[] = [];
  if (!facts.explicitTransaction) {
    const edit = nonTransactionalEdit(context.document, s.section, context.host, context.facts.sectionStatements(s.section).length);
    const others = othersNeedTransaction(context, s);
    if (edit) fixes.push({ title: `Add CONCURRENTLY and ${edit.description}`, edits: [insert, ...edit.edits], creates: edit.creates, safe: safe && !others });
    if (edit && !others) return fixes;
  }
  const move = moveOutOfTransaction(context, s, { description: options.description, rewrite: [insert] });
  if (move) fixes.push(retitled(move, `${move.title}, with CONCURRENTLY`));
  return fixes;
}

/** Statements of the section, other than `s`, that lose something when the section runs outside a transaction. */
export function othersNeedTransaction(context: RuleContext, s: Statement): boolean {
  const section = context.facts.sectionStatements(s.section);
  let needing = needingTransaction.get(section);
  if (!needing) needingTransaction.set(section, (needing = section.filter((o) => !fineOutsideTransaction(o.kind, o.node))));
  // Asked once per finding: a count, not a filtered copy of the section (quadratic in a long migration).
  return needing.length > 1 || (needing.length === 1 && needing[0] !== s);
}

/** Per section (its statement list, computed once per file): the statements that need its transaction. */
const needingTransaction = new KeyedMemo<readonly Statement[], Statement[]>('needingTransaction');

/** Moves `s` into a new migration, right after this one, that runs outside a transaction. */
export function moveOutOfTransaction(context: RuleContext, s: Statement, options: { description: string; rewrite?: TextEdit[] }): FixSpec | undefined {
  const followUp = followUpMigration({
    document: context.document,
    statements: context.statements,
    facts: context.facts,
    host: context.host,
    description: options.description,
    move: [s],
    rewrite: options.rewrite,
    transaction: false,
    why: 'this statement cannot run inside a transaction block, and the rest of that migration needs its transaction.',
  });
  if (!followUp) return undefined;
  return lazyFix(`Move to a new migration ${followUp.name}`, false, followUp.files);
}
