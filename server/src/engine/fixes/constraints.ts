// Fixes for constraints that scan the table under a lock: ADD CONSTRAINT ... NOT VALID, then VALIDATE
// CONSTRAINT once the NOT VALID constraint has committed (right after it outside a transaction, in a
// new follow-up migration inside one), and the unique index built CONCURRENTLY behind UNIQUE / PRIMARY
// KEY, attached with ADD CONSTRAINT ... USING INDEX.

import type { Statement, TextEdit } from '../model';
import type { FixSpec, RuleContext } from '../rules/types';
import type { RelationRef } from '../sql/ast';
import { othersNeedTransaction } from './concurrently';
import { followUpMigration } from './follow-up';
import { nonTransactionalEdit, sendsOneQueryString } from './format-edits';
import { lazyFix } from './lazy';
import { insertAfter, notValidEdits, replaceStatement, uniqueIndexSql, validateSql } from './statements';
import { bodyOf, quoteIdent } from '../sql/ast';
import { statementTokens, tokenIndexBefore, tokenText } from '../sql/tokens';

/** Split `ADD CONSTRAINT` (CHECK, FOREIGN KEY) of `s` into `... NOT VALID` and `VALIDATE CONSTRAINT`. */
export function notValidFixes(context: RuleContext, s: Statement, constraint: any, table: RelationRef): FixSpec[] {
  const marked = notValidEdits(s, constraint, table);
  if (!marked) return [];
  const validate = validateSql(table, marked.name);
  if (!context.factsOf(s).inTransaction) {
    // Each statement commits on its own: VALIDATE right after the ADD runs without its lock. The NOT
    // VALID constraint commits before VALIDATE runs: when VALIDATE fails (a row that breaks it, its
    // lock_timeout), running the migration again must not fail on "already exists", so a CHECK's ADD
    // drops the constraint first (the form prefer-robust-stmts accepts), unless the statement does
    // already. Not a foreign key's: DROP CONSTRAINT takes ACCESS EXCLUSIVE, where ADD FOREIGN KEY
    // takes SHARE ROW EXCLUSIVE (reads go on); prefer-robust-stmts says so, with its own fix.
    const robust = constraint.contype === 'CONSTR_CHECK' ? dropFirstEdit(s, constraint, marked.name) : undefined;
    return [{ title: `Add NOT VALID, then VALIDATE CONSTRAINT ${marked.name}`, edits: [...(robust ? [robust] : []), ...marked.edits, insertAfter(s, [validate])], safe: true }];
  }
  const followUp = followUpMigration({
    document: context.document,
    statements: context.statements,
    facts: context.facts,
    host: context.host,
    description: `validate ${marked.name}`,
    move: [],
    after: s,
    up: validate,
    down: '-- Nothing to undo: VALIDATE CONSTRAINT only checks the existing rows.',
    transaction: true,
    why: `VALIDATE CONSTRAINT ${marked.name} runs after the NOT VALID constraint has committed, so it checks the existing rows without blocking reads or writes.`,
  });
  if (followUp) {
    return [
      lazyFix(`Add NOT VALID, and VALIDATE CONSTRAINT in a new migration ${followUp.name}`, false, () => {
        const files = followUp.files();
        return { edits: [...marked.edits, ...files.edits], creates: files.creates };
      }),
    ];
  }
  return [{ title: 'Add NOT VALID (VALIDATE CONSTRAINT in a later migration)', edits: marked.edits, safe: false }];
}

/**
 * Replace `ADD CONSTRAINT ... UNIQUE | PRIMARY KEY` (the only action of `s`) with CREATE UNIQUE INDEX
 * CONCURRENTLY and ADD CONSTRAINT ... USING INDEX: in place outside a transaction, in place with the
 * section made non-transactional when nothing else in it needs the transaction, else both moved to a
 * new migration right after this one.
 */
export function uniqueIndexFixes(context: RuleContext, s: Statement, constraint: any, table: RelationRef): FixSpec[] {
  const alter = s.node?.AlterTableStmt;
  if ((alter?.cmds ?? []).length !== 1) return [];
  const sql = uniqueIndexSql(constraint, table);
  if (!sql) return [];
  const what = constraint.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
  const title = `Build the index with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ${sql.name} ${what} USING INDEX`;
  const replace = replaceStatement(s, [sql.index, sql.constraint]);
  const facts = context.factsOf(s);
  // Never applied without review: a unique build that finds duplicates leaves an INVALID index behind.
  if (!facts.inTransaction) return [{ title, edits: [replace], safe: false }];
  const fixes: FixSpec[] = [];
  const others = othersNeedTransaction(context, s);
  // The statement becomes two (the index, then the constraint).
  const edit = facts.explicitTransaction ? undefined : nonTransactionalEdit(context.document, s.section, context.host, context.facts.sectionStatements(s.section).length + 1);
  if (edit && !others) return [{ title: `${title}, and ${edit.description}`, edits: [replace, ...edit.edits], creates: edit.creates, safe: false }];
  // Two statements, one of which cannot run in a transaction: no single new migration holds them where
  // the tool sends a section as one query string.
  const followUp = sendsOneQueryString(context.document.format) ? undefined : followUpMigration({
    document: context.document,
    statements: context.statements,
    facts: context.facts,
    host: context.host,
    description: `add ${sql.name} using a concurrent index`,
    move: [s],
    up: `${sql.index}\n${sql.constraint}`,
    transaction: false,
    why: 'CREATE UNIQUE INDEX CONCURRENTLY cannot run inside a transaction block, and the rest of that migration needs its transaction.',
  });
  if (followUp) fixes.push(lazyFix(`Move to a new migration ${followUp.name}, as CREATE UNIQUE INDEX CONCURRENTLY and ADD CONSTRAINT ... USING INDEX`, false, followUp.files));
  return fixes;
}

/**
 * `DROP CONSTRAINT IF EXISTS name, ` before the `ADD` of an ALTER TABLE's constraint clause, or
 * undefined when the statement drops it first already, or the constraint is not such a clause.
 */
function dropFirstEdit(s: Statement, constraint: any, name: string): TextEdit | undefined {
  const cmds: any[] = bodyOf(s.node, 'AlterTableStmt')?.cmds ?? [];
  if (cmds.some((c) => c.AlterTableCmd?.subtype === 'AT_DropConstraint' && c.AlterTableCmd.missing_ok && c.AlterTableCmd.name === name)) return undefined;
  if (!cmds.some((c) => c.AlterTableCmd?.subtype === 'AT_AddConstraint' && c.AlterTableCmd.def?.Constraint === constraint)) return undefined;
  const tokens = statementTokens(s);
  for (let i = tokenIndexBefore(s, s.offsetOf(constraint.location) + 1); i >= 0; i--) {
    const word = tokens[i].kind === 'word' ? tokenText(s, tokens[i]).toLowerCase() : '';
    if (word === 'add') return { span: { start: tokens[i].start, end: tokens[i].start }, newText: `DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}, ` };
    if (word !== 'constraint' && i < tokenIndexBefore(s, s.offsetOf(constraint.location))) return undefined;
  }
  return undefined;
}
