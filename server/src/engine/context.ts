// Facts every rule gets for free, computed once per file: whether each statement runs inside a
// transaction (and why), the lock_timeout / statement_timeout in force, and the relations created
// earlier in the same section (a table created in this migration is empty: no CONCURRENTLY needed).

import { parseDuration } from './config/config';
import type { Section, Statement } from './model';
import { bodyOf, constantOf, namesOf, relationOf, sameRelation, type RelationRef } from './sql/ast';

export interface TimeoutSetting {
  /** As written ('5s', '5000'). */
  text: string;
  /** Milliseconds, when it could be read; 0 means "no timeout". */
  ms?: number;
  statementIndex: number;
}

export interface StatementFacts {
  inTransaction: boolean;
  /** Why it is (or is not) in a transaction, for messages. */
  transactionReason: string;
  /** Inside an explicit BEGIN ... COMMIT written in the file. */
  explicitTransaction: boolean;
  /** The transaction this statement belongs to (statements sharing one have the same id); -1 when none. */
  transactionId: number;
  lockTimeout?: TimeoutSetting;
  statementTimeout?: TimeoutSetting;
}

export interface FileFacts {
  statements: StatementFacts[];
  /** True when `relation` was created by an earlier statement of the same section. */
  createdEarlier(relation: RelationRef, before: Statement): boolean;
  /** True when an up section of this file creates `relation` (its down then only removes what the up added). */
  createdInUp(relation: RelationRef): boolean;
  /** Statements of the same section, in order. */
  sectionStatements(section: Section): Statement[];
}

export function computeFacts(statements: readonly Statement[]): FileFacts {
  const facts: StatementFacts[] = [];
  const created: { relation: RelationRef; index: number; section: Section }[] = [];
  const bySection = new Map<Section, Statement[]>();
  for (const s of statements) {
    let list = bySection.get(s.section);
    if (!list) bySection.set(s.section, (list = []));
    list.push(s);
  }
  let nextTransaction = 0;
  for (const [section, list] of bySection) {
    const implicitBlock = section.transaction === 'implicit' && list.length > 1;
    let inTransaction = section.transaction === 'transaction' || implicitBlock;
    let explicit = false;
    let reason = inTransaction ? section.transactionSource : notInTransactionReason(section);
    let transactionId = inTransaction ? nextTransaction++ : -1;
    let lockTimeout: TimeoutSetting | undefined;
    let statementTimeout: TimeoutSetting | undefined;
    for (const s of list) {
      const tx = bodyOf(s.node, 'TransactionStmt');
      if (tx && (tx.kind === 'TRANS_STMT_BEGIN' || tx.kind === 'TRANS_STMT_START')) {
        inTransaction = true;
        explicit = true;
        reason = 'the explicit BEGIN before it';
        transactionId = nextTransaction++;
      }
      facts[s.index] = { inTransaction, transactionReason: reason, explicitTransaction: explicit, transactionId: inTransaction ? transactionId : -1, lockTimeout, statementTimeout };
      if (tx && (tx.kind === 'TRANS_STMT_COMMIT' || tx.kind === 'TRANS_STMT_ROLLBACK' || tx.kind === 'TRANS_STMT_COMMIT_PREPARED' || tx.kind === 'TRANS_STMT_PREPARE')) {
        // After COMMIT the rest runs in autocommit; with `implicit` the rest of the string is a new implicit block.
        inTransaction = implicitBlock;
        explicit = false;
        reason = inTransaction ? section.transactionSource : 'the COMMIT before it';
        transactionId = inTransaction ? nextTransaction++ : -1;
        // SET LOCAL values end with the transaction.
        if (lockTimeout?.text.startsWith('LOCAL ')) lockTimeout = undefined;
        if (statementTimeout?.text.startsWith('LOCAL ')) statementTimeout = undefined;
      }
      const setting = timeoutSetting(s);
      if (setting?.name === 'lock_timeout') lockTimeout = setting.value;
      if (setting?.name === 'statement_timeout') statementTimeout = setting.value;
      for (const relation of createdRelations(s)) created.push({ relation, index: s.index, section });
    }
  }
  return {
    statements: facts,
    createdEarlier(relation, before) {
      return created.some((c) => c.section === before.section && c.index < before.index && sameRelation(c.relation, relation));
    },
    createdInUp(relation) {
      return created.some((c) => c.section.kind === 'up' && sameRelation(c.relation, relation));
    },
    sectionStatements(section) {
      return bySection.get(section) ?? [];
    },
  };
}

function notInTransactionReason(section: Section): string {
  if (section.transaction === 'implicit') return `${section.transactionSource}, and it holds this one statement only`;
  return section.transactionSource;
}

/** `SET [LOCAL] lock_timeout = ...`, `RESET`, and `SELECT set_config('lock_timeout', ...)`. */
function timeoutSetting(s: Statement): { name: string; value: TimeoutSetting | undefined } | undefined {
  const set = bodyOf(s.node, 'VariableSetStmt');
  if (set && (set.name === 'lock_timeout' || set.name === 'statement_timeout')) {
    if (set.kind === 'VAR_RESET' || set.kind === 'VAR_SET_DEFAULT') return { name: set.name, value: undefined };
    const raw = constantOf(set.args?.[0]);
    if (raw === undefined) return undefined;
    return { name: set.name, value: { text: (set.is_local ? 'LOCAL ' : '') + raw, ms: parseDuration(raw), statementIndex: s.index } };
  }
  const select = bodyOf(s.node, 'SelectStmt');
  const call = select?.targetList?.[0]?.ResTarget?.val?.FuncCall;
  if (call && namesOf(call.funcname).pop() === 'set_config') {
    const name = constantOf(call.args?.[0]);
    const raw = constantOf(call.args?.[1]);
    const local = constantOf(call.args?.[2]) === 'true';
    if ((name === 'lock_timeout' || name === 'statement_timeout') && raw !== undefined) {
      return { name, value: { text: (local ? 'LOCAL ' : '') + raw, ms: parseDuration(raw), statementIndex: s.index } };
    }
  }
  return undefined;
}

/** Relations a statement creates: tables, CREATE TABLE AS, SELECT INTO, materialized views. */
export function createdRelations(s: Statement): RelationRef[] {
  const out: RelationRef[] = [];
  const create = bodyOf(s.node, 'CreateStmt');
  if (create) {
    const r = relationOf(create.relation);
    if (r) out.push(r);
  }
  const createAs = bodyOf(s.node, 'CreateTableAsStmt');
  if (createAs) {
    const r = relationOf(createAs.into?.rel);
    if (r) out.push(r);
  }
  const select = bodyOf(s.node, 'SelectStmt');
  if (select?.intoClause) {
    const r = relationOf(select.intoClause.rel);
    if (r) out.push(r);
  }
  return out;
}
