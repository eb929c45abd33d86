import type { Statement } from '../model';
import { bodyOf, relationOf } from '../sql/ast';
import { findClause, findIdentifier, headSpan, statementTokens, tokenText } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';
import { KeyedMemo } from '../memo';
import { eolOf, lineStartOf } from '../text/offsets';
import { queryStringEnd } from '../fixes/timeouts';

const DROP_TYPE_WORDS = new Set(['table', 'index', 'concurrently', 'view', 'materialized', 'function', 'procedure', 'routine', 'aggregate', 'type', 'domain', 'sequence', 'schema', 'trigger', 'extension', 'policy', 'foreign', 'rule', 'collation', 'statistics']);

export const preferRobustStmts: Rule = {
  id: 'prefer-robust-stmts',
  family: 'files',
  summary: 'A statement that fails when re-run, in a section that runs outside a transaction',
  defaultLevel: 'warning',
  sameAs: ['squawk: prefer-robust-stmts', 'postgres-language-server: prefer-robust-stmts', 'pgfence: prefer-robust-create-index / prefer-robust-create-table / prefer-robust-drop-index / prefer-robust-drop-table'],
  fixable: true,
  docs: {
    why: "When a section runs outside a transaction (goose `NO TRANSACTION`, Flyway or Liquibase scripts run outside one, statements after a COMMIT) and one statement fails, the ones before it stay applied; the tool does not record the migration, so the fix is to run it again, and then the first CREATE TABLE fails with `already exists`. Statements that may be re-run must be idempotent.\n\nOnly statements that can actually be re-run are flagged: those committed before a later statement of the same section runs. Inside a transaction (the default of most tools) a failure rolls everything back, and IF [NOT] EXISTS would only hide mistakes, so nothing is flagged there. A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind, and `IF NOT EXISTS` would then skip the rebuild silently: drop it first instead.",
    instead: 'Write `CREATE ... IF NOT EXISTS`, `DROP ... IF EXISTS`, `ADD COLUMN IF NOT EXISTS`, `CREATE OR REPLACE`, and precede CREATE INDEX CONCURRENTLY with `DROP INDEX CONCURRENTLY IF EXISTS` of the same name.',
    invalid: [{ sql: "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE TABLE audit_log (id bigint PRIMARY KEY, entry text);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n\n-- +goose Down\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nDROP TABLE IF EXISTS audit_log;\n" }],
    valid: [
      { sql: "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE TABLE IF NOT EXISTS audit_log (id bigint PRIMARY KEY, entry text);\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- +goose Down\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nDROP TABLE IF EXISTS audit_log;\n" },
      { sql: '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\n', note: 'Alone in a block sent as one query string (dbmate `transaction:false`), nothing can go before it: a failed build leaves an invalid index to drop by hand, and IF NOT EXISTS would keep it.' },
      { sql: '-- migrate:up\nCREATE TABLE audit_log (id bigint PRIMARY KEY, entry text);\nCREATE INDEX audit_log_entry_idx ON audit_log (entry);\n\n-- migrate:down\nDROP TABLE audit_log;\n', note: 'In a transaction: a failure undoes everything, nothing is re-run half-applied.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (!mayBeRerun(context, s)) continue;
      for (const problem of problems(context, s)) {
        context.report({ statement: s, span: problem.span ?? headSpan(s), message: problem.message, help: problem.help, fixes: problem.fix ? [problem.fix] : [] });
      }
    }
  },
};

interface Problem {
  message: string;
  help: string;
  span?: { start: number; end: number };
  fix?: FixSpec;
}

/** Whether a failure later in the section leaves this statement applied, so that re-running the section runs it again. */
function mayBeRerun(context: RuleContext, s: Statement): boolean {
  if (bodyOf(s.node, 'IndexStmt')?.concurrent) return true; // a failed build leaves an INVALID index behind, even alone
  const own = context.factsOf(s).transactionId;
  const later = laterTransactions(context, s.section).get(s);
  // Re-run when a later statement runs in another transaction (or this one runs in none).
  return later !== undefined && (own === -1 || later === 'several' || later !== own);
}

/** Per statement of a section: the transaction of every later statement when they share one, 'several', or absent when none follows. */
const laterMemo = new KeyedMemo<readonly Statement[], Map<Statement, number | 'several'>>('laterMemo');

function laterTransactions(context: RuleContext, section: Statement['section']): Map<Statement, number | 'several'> {
  const list = context.facts.sectionStatements(section);
  let memo = laterMemo.get(list);
  if (memo) return memo;
  memo = new Map();
  let after: number | 'several' | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    if (after !== undefined) memo.set(list[i], after);
    if (list[i].kind === 'TransactionStmt') continue;
    const id = context.factsOf(list[i]).transactionId;
    after = after === undefined || after === id ? id : 'several';
  }
  laterMemo.set(list, memo);
  return memo;
}

function insertFix(title: string, at: number, text: string): FixSpec {
  return { title, edits: [{ span: { start: at, end: at }, newText: text }] };
}

/** The end offset of the first word `word` after the statement start (e.g. TABLE in CREATE [UNLOGGED] TABLE). */
function wordEnd(s: Statement, word: string, limit = 6): number | undefined {
  const tokens = statementTokens(s);
  for (let i = 0; i < Math.min(tokens.length, limit); i++) if (tokens[i].kind === 'word' && tokenText(s, tokens[i]).toLowerCase() === word) return tokens[i].end;
  return undefined;
}

function problems(context: RuleContext, s: Statement): Problem[] {
  const out: Problem[] = [];
  const create = bodyOf(s.node, 'CreateStmt');
  if (create && !create.if_not_exists) {
    const at = wordEnd(s, 'table');
    out.push({ message: `CREATE TABLE ${relationOf(create.relation)?.display ?? ''} fails with "already exists" when the section is re-run after a later failure.`, help: 'Write CREATE TABLE IF NOT EXISTS.', fix: at !== undefined ? insertFix('Add IF NOT EXISTS', at, ' IF NOT EXISTS') : undefined });
  }
  const index = bodyOf(s.node, 'IndexStmt');
  if (index?.idxname && !index.if_not_exists) {
    if (index.concurrent) {
      // Alone in a section sent as one query string (dbmate transaction:false, a golang-migrate file):
      // nothing can go before it there, and IF NOT EXISTS would keep an invalid index. Nothing to write.
      if (s.section.transaction === 'implicit') return out;
      if (!droppedBefore(context, s, index.idxname)) {
        const indent = s.section.source.slice(lineStartOf(s.section.source, s.span.start), s.span.start);
        const id = findIdentifier(s, index.idxname);
        const name = id ? s.section.source.slice(id.start, id.end) : undefined;
        // Inside a goose StatementBegin block the DROP goes before the block: in the same query string
        // both would run in one implicit transaction, which CONCURRENTLY refuses.
        const block = s.section.queryStrings?.find((q) => q.start <= s.span.start && s.span.end <= q.end);
        const title = `Add DROP INDEX CONCURRENTLY IF EXISTS ${name} before it`;
        const eol = eolOf(s.section.source);
        const fix = block ? insertFix(title, block.start, `DROP INDEX CONCURRENTLY IF EXISTS ${name};${eol}${queryStringEnd(s)}`) : insertFix(title, s.span.start, `DROP INDEX CONCURRENTLY IF EXISTS ${name};${eol}${/^\s*$/.test(indent) ? indent : ''}`);
        out.push({
          message: `If CREATE INDEX CONCURRENTLY ${index.idxname} fails, it leaves an INVALID index named ${index.idxname} behind, and running the migration again fails with "already exists".`,
          help: 'Drop it first with DROP INDEX CONCURRENTLY IF EXISTS (IF NOT EXISTS would silently keep the invalid index).',
          fix: name ? fix : undefined,
        });
      }
    } else {
      const at = wordEnd(s, 'index');
      out.push({ message: `CREATE INDEX ${index.idxname} fails with "already exists" when the section is re-run after a later failure.`, help: 'Write CREATE INDEX IF NOT EXISTS.', fix: at !== undefined ? insertFix('Add IF NOT EXISTS', at, ' IF NOT EXISTS') : undefined });
    }
  }
  for (const [kind, word, label] of [['CreateSeqStmt', 'sequence', 'SEQUENCE'], ['CreateSchemaStmt', 'schema', 'SCHEMA'], ['CreateExtensionStmt', 'extension', 'EXTENSION']] as const) {
    const body = bodyOf(s.node, kind);
    if (body && !body.if_not_exists) {
      const at = wordEnd(s, word);
      out.push({ message: `CREATE ${label} fails with "already exists" when the section is re-run after a later failure.`, help: `Write CREATE ${label} IF NOT EXISTS.`, fix: at !== undefined ? insertFix('Add IF NOT EXISTS', at, ' IF NOT EXISTS') : undefined });
    }
  }
  const view = bodyOf(s.node, 'ViewStmt');
  const fn = bodyOf(s.node, 'CreateFunctionStmt');
  const trigger = bodyOf(s.node, 'CreateTrigStmt');
  for (const [body, label] of [[view, 'VIEW'], [fn, fn?.is_procedure ? 'PROCEDURE' : 'FUNCTION'], [context.pgVersion >= 14 ? trigger : undefined, 'TRIGGER']] as const) {
    if (!body || body.replace) continue;
    const at = wordEnd(s, 'create', 1);
    out.push({ message: `CREATE ${label} fails with "already exists" when the section is re-run after a later failure.`, help: `Write CREATE OR REPLACE ${label}.`, fix: at !== undefined ? insertFix('Add OR REPLACE', at, ' OR REPLACE') : undefined });
  }
  const drop = bodyOf(s.node, 'DropStmt');
  if (drop && !drop.missing_ok) {
    const at = dropTypeEnd(s);
    out.push({ message: 'This DROP fails with "does not exist" when the section is re-run after a later failure.', help: 'Write DROP ... IF EXISTS.', fix: at !== undefined ? insertFix('Add IF EXISTS', at, ' IF EXISTS') : undefined });
  }
  const alter = bodyOf(s.node, 'AlterTableStmt');
  const droppedFirst = new Set<string>();
  for (const c of alter?.cmds ?? []) {
    const cmd = c.AlterTableCmd;
    // `DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c ...`: the re-runnable way to add a constraint.
    if (cmd?.subtype === 'AT_DropConstraint' && cmd.missing_ok && cmd.name) droppedFirst.add(cmd.name);
    if (!cmd || cmd.missing_ok) continue;
    if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.colname) {
      const name = cmd.def.ColumnDef.colname as string;
      const clause = findClause(s, ['add'], name, ['column']);
      const at = clause ? findIdentifier(s, name, clause.start)?.start : undefined;
      out.push({ span: clause, message: `ADD COLUMN ${name} fails with "already exists" when the section is re-run after a later failure.`, help: 'Write ADD COLUMN IF NOT EXISTS.', fix: at !== undefined ? insertFix('Add IF NOT EXISTS', at, 'IF NOT EXISTS ') : undefined });
    }
    if ((cmd.subtype === 'AT_DropColumn' || cmd.subtype === 'AT_DropConstraint') && cmd.name) {
      const what = cmd.subtype === 'AT_DropColumn' ? 'COLUMN' : 'CONSTRAINT';
      const clause = findClause(s, ['drop'], cmd.name, what === 'COLUMN' ? ['column'] : ['constraint']);
      const at = clause ? findIdentifier(s, cmd.name, clause.start)?.start : undefined;
      out.push({ span: clause, message: `DROP ${what} ${cmd.name} fails with "does not exist" when the section is re-run after a later failure.`, help: `Write DROP ${what} IF EXISTS.`, fix: at !== undefined ? insertFix('Add IF EXISTS', at, 'IF EXISTS ') : undefined });
    }
    if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.conname && !droppedFirst.has(cmd.def.Constraint.conname)) {
      const name = cmd.def.Constraint.conname as string;
      const clause = findClause(s, ['add', 'constraint'], name);
      const id = clause ? findIdentifier(s, name, clause.start) : undefined;
      out.push({
        span: clause,
        message: `ADD CONSTRAINT ${name} fails with "already exists" when the section is re-run after a later failure (PostgreSQL has no ADD CONSTRAINT IF NOT EXISTS).`,
        help: `Drop it first in the same statement: DROP CONSTRAINT IF EXISTS ${name}, ADD CONSTRAINT ...`,
        fix: clause && id ? { ...insertFix('Drop the constraint first if it exists', clause.start, `DROP CONSTRAINT IF EXISTS ${s.section.source.slice(id.start, id.end)}, `), safe: false } : undefined,
      });
    }
  }
  return out;
}

/** An earlier statement of the section drops the index with IF EXISTS (the re-run-safe way to rebuild it). */
function droppedBefore(context: RuleContext, s: Statement, name: string): boolean {
  const first = firstDrops(context.facts.sectionStatements(s.section)).get(name);
  return first !== undefined && first < s.index;
}

/** Per section: the index of the first statement that drops each index name with IF EXISTS. */
const dropsMemo = new KeyedMemo<readonly Statement[], Map<string, number>>('dropsMemo');

function firstDrops(list: readonly Statement[]): Map<string, number> {
  let memo = dropsMemo.get(list);
  if (memo) return memo;
  memo = new Map();
  for (const o of list) {
    const drop = bodyOf(o.node, 'DropStmt');
    if (drop?.removeType !== 'OBJECT_INDEX' || !drop.missing_ok) continue;
    for (const x of drop.objects ?? []) {
      for (const i of x.List?.items ?? []) {
        const name = i.String?.sval;
        if (typeof name === 'string' && !memo.has(name)) memo.set(name, o.index);
      }
    }
  }
  dropsMemo.set(list, memo);
  return memo;
}

/** The offset after DROP's object-type words (`DROP MATERIALIZED VIEW`, `DROP INDEX CONCURRENTLY`). */
function dropTypeEnd(s: Statement): number | undefined {
  const tokens = statementTokens(s);
  if (tokens.length < 2 || tokenText(s, tokens[0]).toLowerCase() !== 'drop') return undefined;
  let i = 1;
  while (i < tokens.length && tokens[i].kind === 'word' && DROP_TYPE_WORDS.has(tokenText(s, tokens[i]).toLowerCase())) i++;
  return i > 1 ? tokens[i - 1].end : undefined;
}
