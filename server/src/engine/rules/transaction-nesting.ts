import { nonTransactionalEdit } from '../fixes/format-edits';
import type { Statement, TextEdit } from '../model';
import { bodyOf } from '../sql/ast';
import { headSpan } from '../sql/tokens';
import type { FixSpec, Rule } from './types';

const BEGINS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const ENDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK']);

export const transactionNesting: Rule = {
  id: 'transaction-nesting',
  family: 'files',
  summary: 'BEGIN, COMMIT or ROLLBACK inside a section the migration tool already runs in a transaction',
  defaultLevel: 'warning',
  sameAs: ['squawk: transaction-nesting', 'postgres-language-server: transaction-nesting'],
  fixable: true,
  docs: {
    why: "dbmate, goose, diesel, Flyway and Liquibase wrap each migration in a transaction of their own. A BEGIN inside it does nothing but warn (`there is already a transaction in progress`), and the COMMIT that follows commits the tool's transaction early: the statements after it run in autocommit, the tool's own bookkeeping may end up outside the transaction, and a failure no longer rolls the migration back as a whole.\n\nNot flagged: formats that run the file as written (sqitch, plain SQL run by psql) or as one query string (golang-migrate, where an explicit BEGIN ... COMMIT is how you get a transaction).",
    instead: 'Remove BEGIN and COMMIT and let the tool handle the transaction, or, if you need control over it, mark the section as running outside a transaction (dbmate `transaction:false`, goose `-- +goose NO TRANSACTION`) and keep them.',
    invalid: [{ sql: '-- migrate:up\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN nickname;\n' }],
    valid: [
      { sql: '-- migrate:up transaction:false\nBEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN nickname;\n' },
      { sql: 'BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\n', path: '000003_nickname.up.sql', note: 'golang-migrate sends the file as it is: the explicit transaction is the only one.' },
    ],
  },
  check(context) {
    for (const section of context.document.sections) {
      if (section.transaction !== 'transaction') continue;
      const list = context.facts.sectionStatements(section);
      const controls = list.filter((s) => BEGINS.has(bodyOf(s.node, 'TransactionStmt')?.kind) || ENDS.has(bodyOf(s.node, 'TransactionStmt')?.kind));
      for (let i = 0; i < controls.length; i++) {
        const s = controls[i];
        const kind = bodyOf(s.node, 'TransactionStmt').kind as string;
        if (BEGINS.has(kind)) {
          const end = controls[i + 1] && ENDS.has(bodyOf(controls[i + 1].node, 'TransactionStmt').kind) ? controls[i + 1] : undefined;
          if (end) i++;
          context.report({
            statement: s,
            span: headSpan(s),
            message: `This BEGIN does nothing, because ${section.transactionSource}${end ? "; the COMMIT after it then ends the tool's transaction early, so what follows it no longer rolls back with the rest" : ''}.`,
            help: 'Remove BEGIN and COMMIT, or mark the section as running outside a transaction.',
            fixes: fixes(context.document.text, [s, ...(end ? [end] : [])], context, section),
          });
        } else {
          context.report({
            statement: s,
            span: headSpan(s),
            message: `This ${kind === 'TRANS_STMT_ROLLBACK' ? 'ROLLBACK' : 'COMMIT'} ends the tool's transaction in the middle of the migration (${section.transactionSource}): what follows runs in autocommit and no longer rolls back with the rest.`,
            help: 'Remove it, or split the migration in two.',
            fixes: fixes(context.document.text, [s], context, section),
          });
        }
      }
    }
  },
};

function fixes(text: string, statements: Statement[], context: Parameters<Rule['check']>[0], section: Statement['section']): FixSpec[] {
  const out: FixSpec[] = [];
  if (section.source === text) {
    out.push({ title: statements.length > 1 ? 'Remove BEGIN and COMMIT' : 'Remove this statement', edits: statements.map((s) => removeLine(text, s)), safe: false });
  }
  // The file's own BEGIN ... COMMIT then runs as written, also in one query string: a count of one.
  const edit = nonTransactionalEdit(context.document, section, context.host, 1);
  if (edit && edit.edits.length + (edit.creates?.length ?? 0) > 0) out.push({ title: edit.description.charAt(0).toUpperCase() + edit.description.slice(1), edits: edit.edits, creates: edit.creates, safe: false });
  return out;
}

/** Deletes a statement, and its line when nothing else is on it. */
function removeLine(text: string, s: Statement): TextEdit {
  let start = s.span.start;
  let end = s.span.end;
  let lineStart = start;
  while (lineStart > 0 && (text[lineStart - 1] === ' ' || text[lineStart - 1] === '\t')) lineStart--;
  let lineEnd = end;
  while (lineEnd < text.length && (text[lineEnd] === ' ' || text[lineEnd] === '\t')) lineEnd++;
  if ((lineStart === 0 || text[lineStart - 1] === '\n' || text[lineStart - 1] === '\r') && (lineEnd === text.length || text[lineEnd] === '\n' || text[lineEnd] === '\r')) {
    start = lineStart;
    end = lineEnd;
    if (text[end] === '\r') end++;
    if (text[end] === '\n') end++;
  }
  return { span: { start, end }, newText: '' };
}
