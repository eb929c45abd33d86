import type { Rule } from './types';
import { bodyOf } from '../sql/ast';
import { headSpan } from '../sql/tokens';

export const banUncommittedTransaction: Rule = {
  id: 'ban-uncommitted-transaction',
  family: 'files',
  summary: 'A BEGIN that the section never commits',
  defaultLevel: 'error',
  sameAs: ['squawk: ban-uncommitted-transaction'],
  fixable: true,
  docs: {
    why: "A transaction opened with BEGIN and never committed is rolled back when the connection closes, or stays open holding every lock it took while the tool goes on. Either way the migration did not do what it says, and the tool may still record it as applied.\n\nNot flagged: sections the tool wraps in its own transaction (see `transaction-nesting`).",
    instead: 'End the transaction with COMMIT at the end of the section.',
    invalid: [{ sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\n', note: 'Plain SQL run as written: nothing commits the transaction.' }],
    valid: [{ sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\n' }],
  },
  check(context) {
    for (const section of context.document.sections) {
      if (section.transaction === 'transaction') continue;
      const list = context.facts.sectionStatements(section);
      if (list.length === 0) continue;
      const last = list[list.length - 1];
      const lastKind = bodyOf(last.node, 'TransactionStmt')?.kind;
      if (!context.factsOf(last).explicitTransaction || lastKind === 'TRANS_STMT_COMMIT' || lastKind === 'TRANS_STMT_ROLLBACK' || lastKind === 'TRANS_STMT_PREPARE') continue;
      // The BEGIN that opened it.
      let begin = last;
      for (let i = list.length - 1; i >= 0; i--) {
        const kind = bodyOf(list[i].node, 'TransactionStmt')?.kind;
        if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
          begin = list[i];
          break;
        }
      }
      const insertAt = last.span.end;
      const sourceIsText = section.source === context.document.text;
      context.report({
        statement: begin,
        span: headSpan(begin),
        message: 'This transaction is never committed: the section ends inside it, so its changes are rolled back when the connection closes (or it stays open, holding its locks).',
        help: 'Add COMMIT at the end of the section.',
        fixes: sourceIsText ? [{ title: 'Add COMMIT at the end', edits: [{ span: { start: insertAt, end: insertAt }, newText: last.terminated ? '\nCOMMIT;' : ';\nCOMMIT;' }] }] : [],
      });
    }
  },
};
